//! Cache prefetch hints. An event touches a few cache lines scattered over memory; asking
//! the CPU to load the next event's lines while the current one runs hides most of that
//! latency. Hints only: they read nothing into the program and never fault.
#![allow(
    unsafe_code,
    reason = "a prefetch is an intrinsic, hence unsafe to call, though it never faults and reads nothing into the program"
)]
#![allow(
    clippy::inline_always,
    reason = "a hint must sit in its caller's loop to be worth issuing"
)]

/// Hints the CPU to load the cache line holding `r`.
#[inline(always)]
pub fn prefetch<T>(r: &T) {
    prefetch_lines(r, 1);
}

/// Hints the CPU to load the first `lines` cache lines of `*r` (at most its size).
#[inline(always)]
pub fn prefetch_lines<T>(r: &T, lines: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = (r as *const T).cast::<i8>();
        for i in 0..lines.min(std::mem::size_of::<T>().div_ceil(64)) {
            // SAFETY: prefetching is only a hint: it never faults and reads nothing into the
            // program; the address is inside `*r`.
            unsafe { _mm_prefetch(p.wrapping_add(i * 64), _MM_HINT_T0) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (r, lines);
}

/// Hints the CPU to load every cache line `s` spans, up to `max_lines` of them.
#[inline(always)]
pub fn prefetch_slice<T>(s: &[T], max_lines: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // The start of the line holding the first element.
        let first = s.as_ptr().cast::<i8>();
        let offset = first as usize % 64;
        let first = first.wrapping_sub(offset);
        let lines = (offset + std::mem::size_of_val(s))
            .div_ceil(64)
            .min(max_lines);
        for i in 0..lines {
            // SAFETY: a hint only (see `prefetch_lines`); the addresses lie within the lines
            // that `s` spans.
            unsafe { _mm_prefetch(first.wrapping_add(i * 64), _MM_HINT_T0) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (s, max_lines);
}
