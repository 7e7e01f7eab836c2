//! The short crash run of the test command: a few dozen conversations and a handful of
//! SIGKILLs per store, through the real binaries. The long run is `crash-harness` itself
//! (docs/reliability/crash.md).

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// The `switchboard` binary, built (or found up to date) once for this test binary: a cargo
/// test can only name the binaries of its own package.
fn switchboard() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let status = Command::new(env!("CARGO"))
                .args([
                    "build",
                    "--quiet",
                    "-p",
                    "switchboard-cli",
                    "--bin",
                    "switchboard",
                ])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building switchboard failed");
            let harness = PathBuf::from(env!("CARGO_BIN_EXE_crash-harness"));
            harness.parent().unwrap().join("switchboard")
        })
        .clone()
}

/// Runs the harness on one store and returns its JSON report.
fn short_run(store: &str, seed: &str) -> Value {
    let mut command = Command::new(env!("CARGO_BIN_EXE_crash-harness"));
    command
        .args(["--store", store, "--seed", seed])
        .args([
            "--conversations",
            "48",
            "--concurrency",
            "8",
            "--kills",
            "12",
        ])
        .args(["--think-ms", "400", "--max-uptime-ms", "250"])
        .args(["--json", "--quiet", "--switchboard"])
        .arg(switchboard());
    if std::env::var_os("CI").is_some() {
        command.arg("--require-postgres");
    }
    let output = command.output().expect("crash-harness runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stderr}{stdout}");
    assert!(
        output.status.success(),
        "the crash run failed:\n{stderr}\n{stdout}"
    );
    let json = stdout.lines().last().expect("the JSON report");
    serde_json::from_str(json).expect("the report is JSON")
}

fn check(report: &Value) -> &Value {
    assert_eq!(report["passed"], true, "{report}");
    let store = &report["stores"][0];
    let figures = &store["verdict"]["figures"];
    if store["skipped"].is_null() {
        assert_eq!(figures["conversations"], 48);
        assert_eq!(figures["duplicates"], 0);
        assert_eq!(figures["lost"], 0);
        assert_eq!(figures["unresolved"], 0);
        assert!(store["kills"].as_u64().unwrap() >= 6, "{store}");
        assert!(
            figures["writes_effective"].as_u64().unwrap() >= 20,
            "{figures}"
        );
    }
    store
}

#[test]
fn sigkill_on_sqlite_loses_nothing_and_writes_once() {
    check(&short_run("sqlite", "11"));
}

#[test]
fn sigkill_on_postgresql_loses_nothing_and_writes_once() {
    let report = short_run("postgres", "12");
    let store = check(&report);
    if let Some(reason) = store["skipped"].as_str() {
        // Outside CI a machine without PostgreSQL still runs the rest; say so loudly.
        eprintln!("!!! PostgreSQL crash run SKIPPED, NOT PASSED: {reason}");
    }
}
