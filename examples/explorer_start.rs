//! How long the explorer takes to show a stored map: what its worker does
//! before `Msg::Stored` (the model file read whole), then what the UI
//! thread does with it (`App::set_model`) and the first frame drawn.
//!
//! ```sh
//! cargo run --release --example explorer_start -- MODEL_FILE
//! ```

use std::sync::Arc;
use std::time::Instant;

use musim::tui::app::App;
use musim::tui::keymap::Keymap;
use musim::tui::ui;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1) else {
        return Err("usage: explorer_start MODEL_FILE".into());
    };
    let started = Instant::now();
    let model =
        musim::app::model_file::read(std::path::Path::new(&path)).map_err(|e| e.to_string())?;
    let read = started.elapsed().as_secs_f64();
    let tracks = model.len();
    let mut app = App::new(None, "/probe".into(), Keymap::defaults());
    app.set_model(Arc::new(model));
    let set = started.elapsed().as_secs_f64();
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap_or_else(|e| match e {});
    let _ = term.draw(|f| ui::draw(f, &app));
    let shown = started.elapsed().as_secs_f64();
    println!(
        "{tracks} tracks: model read {read:.3} s · set_model {:.3} s · first frame {:.3} s · map shown after {shown:.3} s",
        set - read,
        shown - set
    );
    Ok(())
}
