//! Export of the index as CSV or JSON.
