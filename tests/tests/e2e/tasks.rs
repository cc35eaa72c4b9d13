//! Live tasks on both peers: a long-running task whose log the test grows step by step
//! (fakepve: the launcher's hand-driven task records; the embedded fake:
//! `MockPve::start_task`), followed with `TaskHandle::follow` and waited for with
//! `wait_with`'s progress callback. No clock decides anything: the task runs until the test
//! ends it, and the client polls until it sees what the test wrote.

use std::time::Duration;

use proxmoxia::api::nodes::node::storage::storage::download_url;
use proxmoxia::{Error, TaskEvent, TaskHandle, TaskLogLine, TaskOutcome, TaskProgress, Upid};
use proxmoxia_tests::{Peer, PeerKind, peer_tests, within};
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
    within(&format!("{count} lines"), async {
        while out.len() < count {
            match follow.next_event().await {
                Some(Ok(TaskEvent::Line(line))) => out.push(line),
                other => panic!("expected line {} of {count}, got {other:?}", out.len() + 1),
            }
        }
    })
    .await;
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

    // Each report comes to the test as it is made; the channel closes with the callback,
    // when `wait_with` returns.
    let (report, mut reported) = tokio::sync::mpsc::unbounded_channel::<TaskProgress>();
    let waiter = {
        let task = task.clone();
        tokio::spawn(async move {
            task.wait_with(move |p| report.send(p.clone()).expect("the test listens"))
                .await
        })
    };

    // The waiter reports each poll; wait until it has seen the first line.
    let first = lines(1, 1);
    append(&pve, &upid, &first).await;
    let mut reports = Vec::new();
    within("a report of line 1", async {
        loop {
            let p = reported.recv().await.expect("reports until the task ends");
            let line_1 = p.last_line.as_ref().map(|l| l.n) == Some(1);
            reports.push(p);
            if line_1 {
                break;
            }
        }
    })
    .await;
    let more = lines(2, 700);
    append(&pve, &upid, &more).await;
    finish(&pve, &upid, None).await;
    assert_eq!(waiter.await.unwrap().unwrap(), TaskOutcome::Ok);
    while let Some(p) = reported.recv().await {
        reports.push(p);
    }

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

// ------------------------------------------------------------------------------------- 3

/// A typed `download-url` call answers the server-side download task, followed to its end;
/// the file is then on the storage.
async fn download_url_starts_a_task_that_is_followed_to_its_end(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let url = "https://images.example.com/debian-13.iso";
    let task: TaskHandle = client
        .nodes("pve1")
        .storage("local")
        .download_url()
        .post(download_url::post::Required {
            content: download_url::post::Content::Iso,
            filename: "debian-13.iso".into(),
            url: url.into(),
        })
        .task()
        .await
        .unwrap();
    assert_eq!(task.upid().task_type(), "download");
    let task = task.poll_interval(POLL);

    let mut follow = task.follow();
    let mut texts = Vec::new();
    let exit = within("the download's exit", async {
        loop {
            match follow.next_event().await {
                Some(Ok(TaskEvent::Line(line))) => {
                    assert_eq!(line.n, texts.len() as i64 + 1);
                    texts.push(line.t);
                }
                Some(Ok(TaskEvent::Exit(exit))) => break exit,
                other => panic!("expected a line or the exit, got {other:?}"),
            }
        }
    })
    .await;
    assert_eq!(exit.outcome().unwrap(), TaskOutcome::Ok);
    assert_eq!(
        texts.first().map(String::as_str),
        Some(&*format!("downloading {url} to debian-13.iso"))
    );
    assert_eq!(texts.last().map(String::as_str), Some("TASK OK"));

    let isos = client
        .nodes("pve1")
        .storage("local")
        .get_content()
        .content("iso")
        .await
        .unwrap();
    let volids: Vec<&str> = isos.iter().map(|v| v.volid.as_str()).collect();
    assert_eq!(volids, ["local:iso/debian-13.iso"]);
}

peer_tests!(
    a_running_task_is_followed_line_by_line_to_its_exit,
    wait_with_reports_progress_until_the_task_ends,
    download_url_starts_a_task_that_is_followed_to_its_end,
);
