//! An [`Output`] that needs no hardware: it records what a sound card would
//! have played, sample by sample, including the silence of an empty queue.

use std::collections::VecDeque;

use super::engine::Output;

/// A simulated sound card: [`Recorder::play`] consumes queued samples in
/// real order; [`Recorder::played`] is everything that came out.
#[derive(Debug, Default)]
pub struct Recorder {
    rate: u32,
    queue: VecDeque<f32>,
    played: Vec<f32>,
    /// Samples pushed in total.
    pushed: usize,
    /// Buffers pushed in total.
    buffers: usize,
}

impl Recorder {
    /// A recorder playing at `rate` Hz.
    pub fn new(rate: u32) -> Recorder {
        Recorder {
            rate,
            ..Recorder::default()
        }
    }

    /// Play `n` samples: queued ones, then silence if the queue runs dry.
    pub fn play(&mut self, n: usize) {
        for _ in 0..n {
            let s = self.queue.pop_front().unwrap_or(0.0);
            self.played.push(s);
        }
    }

    /// Everything played so far.
    pub fn played(&self) -> &[f32] {
        &self.played
    }

    /// Samples pushed in total.
    pub fn pushed(&self) -> usize {
        self.pushed
    }

    /// Buffers pushed in total.
    pub fn buffers(&self) -> usize {
        self.buffers
    }
}

impl Output for Recorder {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn push(&mut self, samples: Vec<f32>) {
        self.pushed += samples.len();
        self.buffers += 1;
        self.queue.extend(samples);
    }

    fn queued(&mut self) -> usize {
        self.queue.len()
    }
}

/// An [`Output`] that plays into nothing at the pace of the clock, so the
/// player behaves as with a sound card (positions advance in real time).
#[derive(Debug)]
pub struct Clocked {
    rate: u32,
    pushed: u64,
    /// Samples played, with the fraction the clock has reached.
    played: f64,
    since: std::time::Instant,
}

impl Clocked {
    /// A silent output playing at `rate` Hz from now.
    pub fn new(rate: u32) -> Clocked {
        Clocked {
            rate,
            pushed: 0,
            played: 0.0,
            since: std::time::Instant::now(),
        }
    }

    /// Advance the clock: what would have been played by now.
    fn catch_up(&mut self) {
        let now = std::time::Instant::now();
        let due = (now - self.since).as_secs_f64() * f64::from(self.rate);
        self.since = now;
        // An empty queue plays silence: the clock does not bank it.
        self.played = (self.played + due).min(self.pushed as f64);
    }
}

impl Output for Clocked {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn push(&mut self, samples: Vec<f32>) {
        self.catch_up();
        self.pushed += samples.len() as u64;
    }

    fn queued(&mut self) -> usize {
        self.catch_up();
        (self.pushed as f64 - self.played).ceil() as usize
    }
}
