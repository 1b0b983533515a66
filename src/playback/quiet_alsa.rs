//! Keep ALSA's own diagnostics off the terminal. alsa-lib prints errors
//! ("ALSA lib pcm.c:…: Unknown PCM default", "cannot find card 0") straight
//! to stderr, which would scribble over the explorer; musim reports what
//! went wrong itself, so ALSA's handler is replaced by one that says nothing.

use std::ffi::{c_char, c_int};
use std::sync::Once;

/// The handler: ignores everything.
///
/// alsa-lib's handler type is variadic (`fmt, ...`), which stable Rust
/// cannot define. This one takes the fixed arguments only and reads none of
/// them; on the C ABIs of Linux targets a callee that ignores its variadic
/// tail is called correctly (the caller cleans up the stack).
unsafe extern "C" fn ignore(
    _file: *const c_char,
    _line: c_int,
    _function: *const c_char,
    _err: c_int,
    _fmt: *const c_char,
) {
}

/// Install the silent handler (once per process).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        type Fixed =
            unsafe extern "C" fn(*const c_char, c_int, *const c_char, c_int, *const c_char);
        // SAFETY: same calling convention; see `ignore`.
        let handler: alsa_sys::snd_lib_error_handler_t = Some(unsafe {
            std::mem::transmute::<
                Fixed,
                unsafe extern "C" fn(
                    *const c_char,
                    c_int,
                    *const c_char,
                    c_int,
                    *const c_char,
                    ...
                ),
            >(ignore)
        });
        // SAFETY: sets a process-wide function pointer in alsa-lib.
        unsafe {
            alsa_sys::snd_lib_error_set_handler(handler);
        }
    });
}
