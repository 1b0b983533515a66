//! Entering and leaving the terminal's explorer mode (raw mode, alternate
//! screen, bracketed paste, mouse) — and leaving it on every exit path,
//! including panics.

use std::io::{self, Stdout};

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::Terminal;

/// The explorer's terminal.
pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Switch the terminal to explorer mode and install a panic hook that
/// restores it before the panic message is printed.
pub fn enter() -> io::Result<Term> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        leave();
        previous(info);
    }));
    enable_raw_mode()?;
    let mut out = io::stdout();
    if let Err(e) = execute!(
        out,
        EnterAlternateScreen,
        EnableBracketedPaste,
        EnableMouseCapture
    ) {
        leave();
        return Err(e);
    }
    let t = Terminal::new(CrosstermBackend::new(out));
    if t.is_err() {
        leave();
    }
    t
}

/// Restore the terminal (safe to call more than once).
pub fn leave() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
}
