//! The generated surface against the schemas: coverage of every method and argument type,
//! the typed sweep with serde round trips, the answer audit, the differential against
//! fakepve, versions, path parameters and property strings; answers recorded from real
//! servers (the corpus).

mod audit;
mod corpus;
mod coverage;
mod differential;
mod path_params;
mod property_strings;
mod typed_sweep;
mod versions;
