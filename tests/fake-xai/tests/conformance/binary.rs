//! The real `fake-xai` binary: its "listening on" line, flags, and a bad flag.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn the_binary_prints_its_address_and_serves_with_the_given_key() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-xai"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "xai-from-cli",
            "--speech",
            "tone",
        ])
        .env("FAKE_XAI_PER_DELTA_MS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(10), lines.next_line())
        .await
        .expect("a line within 10 s")
        .unwrap()
        .expect("one line");
    let base = line.strip_prefix("listening on ").expect("listening line");
    assert!(base.starts_with("http://127.0.0.1:"));
    let http = reqwest::Client::new();
    let ok = http
        .get(format!("{base}/v1/models"))
        .bearer_auth("xai-from-cli")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let wrong = http
        .get(format!("{base}/v1/models"))
        .bearer_auth("xai-fake-key")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    child.start_kill().unwrap();
    let _ = child.wait().await;
}

#[tokio::test]
async fn a_bad_flag_exits_non_zero_with_a_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_fake-xai"))
        .args(["--speech", "opera"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("opera"), "{stderr}");
}
