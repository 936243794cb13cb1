//! A change hook that records every event it is given.

use std::sync::Mutex;

use async_trait::async_trait;
use campushub_core::{ChangeEvent, ChangeHook};

/// Every event delivered to it, in delivery order.
#[derive(Default)]
pub struct Recorder(Mutex<Vec<ChangeEvent>>);

#[async_trait]
impl ChangeHook for Recorder {
    async fn on_change(&self, event: &ChangeEvent) {
        self.0.lock().expect("recorder").push(event.clone());
    }
}

impl Recorder {
    /// How many events are recorded (not taken yet).
    pub fn len(&self) -> usize {
        self.0.lock().expect("recorder").len()
    }

    /// The events recorded since the last call, taken out.
    pub fn take(&self) -> Vec<ChangeEvent> {
        std::mem::take(&mut *self.0.lock().expect("recorder"))
    }
}
