//! The embedded fake PVE (`proxmoxia::mock::MockPve`): its API, its logins and its scripted
//! faults, driven through the client.

mod api;
mod auth;
mod auth_failures;
mod blocking;
mod consoles;
mod faults;
mod retries;
mod transfers;
