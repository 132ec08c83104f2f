//! One file per subcommand, plus what they share.

pub mod common;
pub mod distill;
pub mod eval;
pub mod gradcheck;
pub mod report;
pub mod reproduce;
pub mod train;
