//! Below every stage: writing files atomically, the host environment passed down
//! explicitly, commands as values run in one place, and time as bele writes it.

pub(crate) mod atomic;
pub(crate) mod env;
pub(crate) mod process;
pub(crate) mod time;
