//! What an arriving RPC holds, as far as settling it on arrival goes (`shortcuts` settles
//! it): decided once at its send, carried in its arrival event. Owns the classification
//! only; the settling is `shortcuts`'.

use crate::protocol::gossipsub::RpcPart;

/// What an arriving RPC holds, as far as settling it on arrival goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Carries {
    /// IDONTWANTs (recorded on arrival: see `settle_idontwants_on_arrival`).
    IDontWant,
    /// Messages only: on arrival, copies its receiver will have seen are counted as
    /// duplicates (see `settle_duplicates_on_arrival`).
    Messages,
    /// IHAVEs only: on arrival, one that asks for nothing is counted (see
    /// `settle_ihaves_on_arrival`).
    IHave,
    /// Nothing to settle: delivered as usual.
    Other,
}

impl Carries {
    /// What an RPC of `parts` may settle on arrival; `Other` whenever shortcuts are off.
    pub fn of(parts: &[RpcPart], shortcuts: bool) -> Carries {
        if !shortcuts {
            Carries::Other
        } else if parts.iter().any(|p| matches!(p, RpcPart::IDontWant { .. })) {
            Carries::IDontWant
        } else if parts.iter().all(|p| matches!(p, RpcPart::Message { .. })) {
            Carries::Messages
        } else if parts.iter().all(|p| matches!(p, RpcPart::IHave { .. })) {
            Carries::IHave
        } else {
            Carries::Other
        }
    }
}
