use proxmoxia::api::nodes::node::rrd::get::Timeframe;

// Every value this schema lists, but no `_`: parameter enums are non-exhaustive, since a newer
// PVE may add a value (as 9.1 added `decade`).
fn label(timeframe: Timeframe) -> &'static str {
    match timeframe {
        Timeframe::Hour => "hour",
        Timeframe::Day => "day",
        Timeframe::Week => "week",
        Timeframe::Month => "month",
        Timeframe::Year => "year",
        Timeframe::Decade => "decade",
    }
}

fn main() {
    let _ = label(Timeframe::Hour);
}
