//! The command line: one file per subcommand, plus what they share (flags, data loading, the
//! progress bar). Flag parsing, progress display and printing only: the work is the library's,
//! and no command calls into another command's module.

pub mod axes;
pub mod bench;
pub mod common;
pub mod distill;
pub mod distill_stopping;
pub mod eval;
pub mod gradcheck;
pub mod inspect;
pub mod model_run;
pub mod report;
pub mod reproduce;
pub mod reproduce_part;
pub mod show;
pub mod train;
