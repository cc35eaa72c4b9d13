//! Live tasks on both peers: a long-running task whose log the test grows step by step
//! (fakepve: the launcher's hand-driven task records; the embedded fake:
//! `MockPve::start_task`), followed with `TaskHandle::follow` and waited for with
//! `wait_with`'s progress callback. No clock decides anything: the task runs until the test
//! ends it, and the client polls until it sees what the test wrote.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proxmoxia::{Error, TaskEvent, TaskLogLine, TaskOutcome, TaskProgress, Upid};
use proxmoxia_tests::{Peer, PeerKind, peer_tests};
use serde_json::json;

/// Polls often: the tests wait for what they wrote, never for a time.
const POLL: Duration = Duration::from_millis(20);

/// Starts a task on `pve1` that runs until [`finish`] ends it.
async fn start(pve: &Peer, kind: &str, id: &str) -> Upid {
    let upid = match (pve.fakepve(), pve.mock()) {
        (Some(fake), _) => {
            let answer = fake.call("live_start", json!(["pve1", kind, id])).await;
            answer.as_str().expect("a UPID").to_owned()
        }
        (_, Some(mock)) => mock.start_task("pve1", kind, id),
        _ => unreachable!("a peer is one of the two"),
    };
    Upid::parse(&upid).expect("the peer's UPID parses")
}

/// Appends lines to the task's log.
async fn append(pve: &Peer, upid: &Upid, lines: &[String]) {
    match (pve.fakepve(), pve.mock()) {
        (Some(fake), _) => {
            fake.call("live_append", json!([upid.as_str(), lines]))
                .await;
        }
        (_, Some(mock)) => {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            mock.append_task_log(upid.as_str(), &lines);
        }
        _ => unreachable!("a peer is one of the two"),
    }
}

/// Ends the task: `TASK OK`, or `TASK ERROR: error`.
async fn finish(pve: &Peer, upid: &Upid, error: Option<&str>) {
    match (pve.fakepve(), pve.mock()) {
        (Some(fake), _) => {
            fake.call("live_finish", json!([upid.as_str(), error]))
                .await;
        }
        (_, Some(mock)) => mock.finish_task(upid.as_str(), error),
        _ => unreachable!("a peer is one of the two"),
    }
}

fn lines(from: usize, count: usize) -> Vec<String> {
    (from..from + count)
        .map(|i| format!("INFO: {i:>4}% written ({i} MiB)"))
        .collect()
}

/// The next `count` events, which must all be lines.
async fn next_lines(follow: &mut proxmoxia::TaskFollow, count: usize) -> Vec<TaskLogLine> {
    let mut out = Vec::new();
    while out.len() < count {
        match follow.next_event().await {
            Some(Ok(TaskEvent::Line(line))) => out.push(line),
            other => panic!("expected line {} of {count}, got {other:?}", out.len() + 1),
        }
    }
    out
}

fn numbered(texts: &[String], first: i64) -> Vec<(i64, String)> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| (first + i as i64, t.clone()))
        .collect()
}

fn pairs(lines: &[TaskLogLine]) -> Vec<(i64, String)> {
    lines.iter().map(|l| (l.n, l.t.clone())).collect()
}

// ------------------------------------------------------------------------------------- 1

async fn a_running_task_is_followed_line_by_line_to_its_exit(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let upid = start(&pve, "vzdump", "100").await;
    let task = client.task(&upid).poll_interval(POLL);
    assert!(task.status().await.unwrap().is_running());
    let mut follow = task.follow();

    // Three lines, then more than two pages (500 lines each) at once: each line once, in
    // order, across polls and pages.
    let first = lines(1, 3);
    append(&pve, &upid, &first).await;
    assert_eq!(
        pairs(&next_lines(&mut follow, 3).await),
        numbered(&first, 1)
    );

    let burst = lines(4, 1200);
    append(&pve, &upid, &burst).await;
    assert_eq!(
        pairs(&next_lines(&mut follow, 1200).await),
        numbered(&burst, 4)
    );

    let last = lines(1204, 2);
    append(&pve, &upid, &last).await;
    finish(&pve, &upid, Some("job failed: disk full")).await;
    let tail = next_lines(&mut follow, 3).await;
    let mut expected = numbered(&last, 1204);
    expected.push((1206, "TASK ERROR: job failed: disk full".to_owned()));
    assert_eq!(pairs(&tail), expected);

    match follow.next_event().await {
        Some(Ok(TaskEvent::Exit(exit))) => {
            assert_eq!(exit.upid, upid);
            assert_eq!(exit.exitstatus, "job failed: disk full");
            match exit.outcome() {
                Err(Error::Task(failed)) => {
                    assert_eq!(failed.exitstatus, "job failed: disk full")
                }
                other => panic!("expected Error::Task, got {other:?}"),
            }
        }
        other => panic!("expected the exit, got {other:?}"),
    }
    assert!(
        follow.next_event().await.is_none(),
        "the exit is the last item"
    );

    // The whole log, read again in pages: the same 1206 lines.
    let all = task.log_all().await.unwrap();
    assert_eq!(all.len(), 1206);
    assert!(all.iter().enumerate().all(|(i, l)| l.n == i as i64 + 1));
    assert_eq!(all[1205].t, "TASK ERROR: job failed: disk full");
}

// ------------------------------------------------------------------------------------- 2

async fn wait_with_reports_progress_until_the_task_ends(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let upid = start(&pve, "download", "local").await;
    let task = client.task(&upid).poll_interval(POLL);

    let reports: Arc<Mutex<Vec<TaskProgress>>> = Arc::default();
    let seen = reports.clone();
    let waiter = {
        let task = task.clone();
        tokio::spawn(async move {
            task.wait_with(move |p| seen.lock().unwrap().push(p.clone()))
                .await
        })
    };

    // The waiter reports each poll; wait until it has seen the first line.
    let first = lines(1, 1);
    append(&pve, &upid, &first).await;
    while !reports
        .lock()
        .unwrap()
        .iter()
        .any(|p| p.last_line.as_ref().map(|l| l.n) == Some(1))
    {
        tokio::time::sleep(POLL).await;
    }
    let more = lines(2, 700);
    append(&pve, &upid, &more).await;
    finish(&pve, &upid, None).await;
    assert_eq!(waiter.await.unwrap().unwrap(), TaskOutcome::Ok);

    let reports = reports.lock().unwrap();
    let last = reports.last().expect("at least one report");
    assert_eq!(last.status.status, "stopped");
    assert_eq!(last.status.exitstatus.as_deref(), Some("OK"));
    let line = last.last_line.as_ref().expect("a last line");
    assert_eq!((line.n, line.t.as_str()), (702, "TASK OK"));
    // Reports come in order: time and lines only move on; all but the last see it running.
    for pair in reports.windows(2) {
        assert!(pair[0].elapsed <= pair[1].elapsed);
        let n = |p: &TaskProgress| p.last_line.as_ref().map_or(0, |l| l.n);
        assert!(n(&pair[0]) <= n(&pair[1]));
    }
    assert!(
        reports[..reports.len() - 1]
            .iter()
            .all(|p| p.status.is_running())
    );
}

peer_tests!(
    a_running_task_is_followed_line_by_line_to_its_exit,
    wait_with_reports_progress_until_the_task_ends,
);
