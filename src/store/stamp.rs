//! How musim tells that a file is unchanged since it last read it: the same
//! size and modification time. Index entries, their deep rows, the model's
//! tracks and a fresh look at the file all carry this stamp.

/// A file's size in bytes and modification time in ns since the epoch.
pub type Stamp = (u64, i64);

/// Something that knows a file's [`Stamp`].
pub trait Stamped {
    /// Size and modification time as recorded.
    fn stamp(&self) -> Stamp;

    /// True when `other` recorded the same size and modification time
    /// (the file is taken as unchanged; paths are matched by the caller).
    fn same_stamp(&self, other: &impl Stamped) -> bool {
        self.stamp() == other.stamp()
    }
}

/// Implements [`Stamped`] for structs with `size` and `mtime_ns` fields.
macro_rules! stamped {
    ($($t:ty),* $(,)?) => {
        $(impl $crate::store::stamp::Stamped for $t {
            fn stamp(&self) -> $crate::store::stamp::Stamp {
                (self.size, self.mtime_ns)
            }
        })*
    };
}
pub(crate) use stamped;
