//! Sweeps on a cluster: the text of a Slurm job-array script and of a Kubernetes Indexed Job
//! manifest, one array task (or completion index) per point × seed, each running
//! `gossipsim sweep FILE --task I` into one shared sweep folder. Only renders text from what
//! it is given (absolute paths, the memory a task needs); writes nothing.

use crate::scenario::Override;
use std::fmt::Write as _;
use std::path::Path;

/// What an emitted script needs to know.
#[derive(Debug, Clone)]
pub struct Emit<'a> {
    pub name: &'a str,
    pub tasks: usize,
    /// The gossipsim binary the tasks run (absolute).
    pub bin: &'a Path,
    /// The folder tasks start in: the sweep file and folder are named relative to it.
    pub workdir: &'a Path,
    pub sweep_file: &'a Path,
    pub out: &'a Path,
    pub sets: &'a [Override],
    /// Threads of each run.
    pub threads: usize,
    /// Memory one task may need, in bytes (the largest point's estimate with headroom).
    pub memory: u64,
}

/// `s` quoted for a POSIX shell.
fn sh(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

impl Emit<'_> {
    /// The command of one task, without `--task` and its value.
    fn command(&self, bin: &str) -> String {
        let mut c = format!(
            "{} sweep {} --out {} --threads {}",
            sh(bin),
            sh(&self.sweep_file.display().to_string()),
            sh(&self.out.display().to_string()),
            self.threads
        );
        for o in self.sets {
            let _ = write!(c, " --set {}", sh(&format!("{}={}", o.path, o.value)));
        }
        c
    }

    fn mib(&self) -> u64 {
        self.memory.div_ceil(1 << 20).max(64)
    }
}

/// A Slurm batch script: an array of `e.tasks` tasks, numbered from 0 like `--task`.
/// `sbatch_lines` are extra `#SBATCH` options (partition, account, time limit).
pub fn slurm_script(e: &Emit<'_>, sbatch_lines: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "#!/bin/bash");
    let _ = writeln!(
        s,
        "# gossipsim sweep {}: {} run(s) (point × seed), one per array task. Written by",
        e.name, e.tasks
    );
    let _ = writeln!(
        s,
        "# `gossipsim sweep --emit slurm`; submit with sbatch, then merge with --collect."
    );
    let _ = writeln!(
        s,
        "#SBATCH --job-name={}",
        sh(&format!("gossipsim-{}", e.name))
    );
    let _ = writeln!(s, "#SBATCH --array=0-{}", e.tasks.saturating_sub(1));
    let _ = writeln!(s, "#SBATCH --ntasks=1");
    let _ = writeln!(s, "#SBATCH --cpus-per-task={}", e.threads);
    let _ = writeln!(s, "#SBATCH --mem={}M", e.mib());
    let _ = writeln!(
        s,
        "#SBATCH --chdir={}",
        sh(&e.workdir.display().to_string())
    );
    let _ = writeln!(
        s,
        "#SBATCH --output={}",
        sh(&e.out.join("slurm").join("%A_%a.out").display().to_string())
    );
    for l in sbatch_lines {
        let _ = writeln!(s, "#SBATCH {l}");
    }
    let _ = writeln!(s, "set -euo pipefail");
    let _ = writeln!(
        s,
        "exec {} --task \"$SLURM_ARRAY_TASK_ID\"",
        e.command(&e.bin.display().to_string())
    );
    s
}

/// Where the Kubernetes tasks find their files and program.
#[derive(Debug, Clone)]
pub struct K8s<'a> {
    pub image: &'a str,
    /// A PersistentVolumeClaim holding the working folder (scenarios and results), mounted
    /// at the same path as here.
    pub claim: &'a str,
    /// Pods at once.
    pub parallelism: usize,
}

/// A Job name: lowercase letters, digits and dashes, at most 63 characters.
fn dns_label(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    out.truncate(63);
    out.trim_matches('-').to_string()
}

/// A YAML string: JSON's quoting is YAML's.
fn yq(s: &str) -> String {
    let mut q = String::from('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(q, "\\u{:04x}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// A Kubernetes Indexed Job: `e.tasks` completions, each running its task by
/// `$JOB_COMPLETION_INDEX`, the working folder mounted from `k.claim`.
pub fn k8s_job(e: &Emit<'_>, k: &K8s<'_>) -> String {
    let workdir = e.workdir.display().to_string();
    let cmd = format!(
        "exec {} --task \"$JOB_COMPLETION_INDEX\"",
        e.command("gossipsim")
    );
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# gossipsim sweep {}: {} run(s) (point × seed), one per completion index. Written by",
        e.name, e.tasks
    );
    let _ = writeln!(
        s,
        "# `gossipsim sweep --emit k8s`; apply with kubectl, then merge with --collect."
    );
    let _ = writeln!(s, "apiVersion: batch/v1");
    let _ = writeln!(s, "kind: Job");
    let _ = writeln!(s, "metadata:");
    let _ = writeln!(
        s,
        "  name: {}",
        yq(&dns_label(&format!("gossipsim-{}", e.name)))
    );
    let _ = writeln!(s, "spec:");
    let _ = writeln!(s, "  completionMode: Indexed");
    let _ = writeln!(s, "  completions: {}", e.tasks);
    let _ = writeln!(
        s,
        "  parallelism: {}",
        k.parallelism.clamp(1, e.tasks.max(1))
    );
    let _ = writeln!(s, "  backoffLimitPerIndex: 1");
    let _ = writeln!(s, "  maxFailedIndexes: {}", e.tasks);
    let _ = writeln!(s, "  template:");
    let _ = writeln!(s, "    spec:");
    let _ = writeln!(s, "      restartPolicy: Never");
    let _ = writeln!(s, "      containers:");
    let _ = writeln!(s, "        - name: gossipsim");
    let _ = writeln!(s, "          image: {}", yq(k.image));
    let _ = writeln!(s, "          workingDir: {}", yq(&workdir));
    let _ = writeln!(s, "          command: [\"/bin/sh\", \"-c\", {}]", yq(&cmd));
    let _ = writeln!(s, "          resources:");
    let _ = writeln!(s, "            requests:");
    let _ = writeln!(s, "              cpu: \"{}\"", e.threads);
    let _ = writeln!(s, "              memory: \"{}Mi\"", e.mib());
    let _ = writeln!(s, "            limits:");
    let _ = writeln!(s, "              memory: \"{}Mi\"", e.mib());
    let _ = writeln!(s, "          volumeMounts:");
    let _ = writeln!(s, "            - name: work");
    let _ = writeln!(s, "              mountPath: {}", yq(&workdir));
    let _ = writeln!(s, "      volumes:");
    let _ = writeln!(s, "        - name: work");
    let _ = writeln!(s, "          persistentVolumeClaim:");
    let _ = writeln!(s, "            claimName: {}", yq(k.claim));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emit<'a>(sets: &'a [Override]) -> Emit<'a> {
        Emit {
            name: "sweep d",
            tasks: 36,
            bin: Path::new("/opt/gossip sim/gossipsim"),
            workdir: Path::new("/work/main"),
            sweep_file: Path::new("scenarios/sweep-mesh-d.toml"),
            out: Path::new("results/sweep-mesh-d"),
            sets,
            threads: 1,
            memory: 300 << 20,
        }
    }

    #[test]
    fn slurm_script_runs_every_task_by_its_array_index() {
        let sets = [Override {
            path: "traffic[0].size".into(),
            value: "\"10KB\"".into(),
        }];
        let s = slurm_script(&emit(&sets), &["--partition=short".to_string()]);
        assert!(s.starts_with("#!/bin/bash\n"));
        for line in [
            "#SBATCH --array=0-35",
            "#SBATCH --mem=300M",
            "#SBATCH --cpus-per-task=1",
            "#SBATCH --chdir=/work/main",
            "#SBATCH --output=results/sweep-mesh-d/slurm/%A_%a.out",
            "#SBATCH --partition=short",
            "#SBATCH --job-name='gossipsim-sweep d'",
            "exec '/opt/gossip sim/gossipsim' sweep scenarios/sweep-mesh-d.toml --out results/sweep-mesh-d --threads 1 --set 'traffic[0].size=\"10KB\"' --task \"$SLURM_ARRAY_TASK_ID\"",
        ] {
            assert!(s.lines().any(|l| l == line), "no line {line:?} in\n{s}");
        }
    }

    #[test]
    fn k8s_job_is_indexed_with_one_completion_per_task() {
        let k = K8s {
            image: "gossipsim:0.1.0",
            claim: "gossipsim",
            parallelism: 100,
        };
        let s = k8s_job(&emit(&[]), &k);
        for line in [
            "kind: Job",
            "  name: \"gossipsim-sweep-d\"",
            "  completionMode: Indexed",
            "  completions: 36",
            "  parallelism: 36",
            "          workingDir: \"/work/main\"",
            "          command: [\"/bin/sh\", \"-c\", \"exec gossipsim sweep scenarios/sweep-mesh-d.toml --out results/sweep-mesh-d --threads 1 --task \\\"$JOB_COMPLETION_INDEX\\\"\"]",
            "              memory: \"300Mi\"",
            "            claimName: \"gossipsim\"",
        ] {
            assert!(s.lines().any(|l| l == line), "no line {line:?} in\n{s}");
        }
    }

    #[test]
    fn shell_quoting_keeps_every_character() {
        assert_eq!(sh("plain/path-1.toml"), "plain/path-1.toml");
        assert_eq!(sh("it's"), r"'it'\''s'");
        assert_eq!(sh(""), "''");
    }
}
