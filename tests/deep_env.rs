//! `MUSIM_DEEP_MODEL` names the model file: a missing one gives a clear error
//! from `DeepAccumulator::new`, every time, without affecting anything else.
//! (Its own test binary: the shared model is loaded once per process.)
#![cfg(feature = "embeddings")]

use musim::deep::{DeepAccumulator, DeepError, MODEL_ENV};

#[test]
fn missing_override_model_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gone.onnx");
    // The only test in this binary, so no other thread reads the environment.
    std::env::set_var(MODEL_ENV, &path);
    for _ in 0..2 {
        let err = DeepAccumulator::new().unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, DeepError::ModelIo { .. }), "{msg}");
        assert!(
            msg.contains("gone.onnx") && msg.contains("cannot read"),
            "{msg}"
        );
    }
    // Tags are then named as the MSD model names them.
    assert_eq!(musim::deep::tag_names(), musim::deep::msd_tag_names());
    // The rest of the analysis does not depend on the model.
    let y: Vec<f32> = (0..22050).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
    let fp = musim::features::frame_features(&y);
    assert!(fp.rms.iter().all(|v| v.is_finite()));
}
