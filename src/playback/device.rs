//! The sound card as an [`Output`]: rodio's default output device, fed
//! mono `SamplesBuffer`s at the device's own rate. Built only with the
//! cargo feature `playback`; without it [`open`] explains that.

use super::engine::Output;

/// Why previews cannot be heard: no device, or a build without playback.
pub const NO_DEVICE: &str = "no audio device";

/// Why the sound output could not be opened; the message is one line.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// This build has no sound output.
    #[error(
        "audio previews are not in this build (musim was built without the `playback` feature)"
    )]
    NotBuilt,
    /// No device could be opened: [`NO_DEVICE`], then the default device's error and its causes.
    #[error("{} ({})", NO_DEVICE, chain(.0.as_ref()))]
    NoDevice(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Open the default sound output. Errors are one line, starting with
/// [`NO_DEVICE`] when there is no usable device.
pub fn open() -> Result<Box<dyn Output>, OpenError> {
    imp::open()
}

#[cfg(not(feature = "playback"))]
mod imp {
    use super::{OpenError, Output};

    pub fn open() -> Result<Box<dyn Output>, OpenError> {
        Err(OpenError::NotBuilt)
    }
}

#[cfg(feature = "playback")]
mod imp {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use rodio::buffer::SamplesBuffer;
    use rodio::cpal::traits::HostTrait;
    use rodio::{DeviceSinkBuilder, MixerDeviceSink, Player};

    use super::{OpenError, Output};

    /// A device stream and the queue feeding it.
    struct Device {
        // Field order: the player goes before the stream it plays on.
        player: Player,
        _sink: MixerDeviceSink,
        rate: u32,
        /// Lengths of the buffers rodio has not finished playing.
        blocks: VecDeque<usize>,
        errors: Arc<Mutex<Option<String>>>,
    }

    fn try_open(
        builder: Result<DeviceSinkBuilder, rodio::DeviceSinkError>,
        errors: &Arc<Mutex<Option<String>>>,
    ) -> Result<MixerDeviceSink, rodio::DeviceSinkError> {
        let errors = Arc::clone(errors);
        builder.and_then(|b| {
            b.with_error_callback(move |e| {
                // Never printed: the UI shows it.
                if let Ok(mut slot) = errors.lock() {
                    slot.get_or_insert_with(|| e.to_string());
                }
            })
            .open_stream()
        })
    }

    pub fn open() -> Result<Box<dyn Output>, OpenError> {
        #[cfg(target_os = "linux")]
        super::super::quiet_alsa::install();
        let errors = Arc::new(Mutex::new(None));
        let sink = match try_open(DeviceSinkBuilder::from_default_device(), &errors) {
            Ok(s) => s,
            Err(first) => {
                // As rodio's open_default_sink, but silent: any real device.
                let others = rodio::cpal::default_host()
                    .output_devices()
                    .map(|d| d.collect::<Vec<_>>())
                    .unwrap_or_default();
                others
                    .into_iter()
                    .filter(|d| {
                        use rodio::cpal::traits::DeviceTrait;
                        d.description()
                            .is_ok_and(|desc| desc.driver().is_some_and(|drv| drv != "null"))
                    })
                    .find_map(|d| try_open(DeviceSinkBuilder::from_device(d), &errors).ok())
                    .ok_or_else(|| OpenError::NoDevice(Box::new(first)))?
            }
        };
        let mut sink = sink;
        sink.log_on_drop(false);
        let rate = sink.config().sample_rate().get();
        let player = Player::connect_new(sink.mixer());
        Ok(Box::new(Device {
            player,
            _sink: sink,
            rate,
            blocks: VecDeque::new(),
            errors,
        }))
    }

    impl Output for Device {
        fn rate(&self) -> u32 {
            self.rate
        }

        fn push(&mut self, samples: Vec<f32>) {
            let (Some(one), Some(rate)) = (
                std::num::NonZero::new(1u16),
                std::num::NonZero::new(self.rate),
            ) else {
                return;
            };
            self.blocks.push_back(samples.len());
            self.player.append(SamplesBuffer::new(one, rate, samples));
        }

        fn queued(&mut self) -> usize {
            let left = self.player.len();
            while self.blocks.len() > left {
                self.blocks.pop_front();
            }
            self.blocks.iter().sum()
        }

        fn take_error(&mut self) -> Option<String> {
            self.errors.lock().ok().and_then(|mut e| e.take())
        }
    }
}
