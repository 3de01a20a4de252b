//! What a deployment class can do: sustained throughput, memory and memory bandwidth, with the
//! default of each class and its basis.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::task::Deployment;

/// The effective capacity of a deployment class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceProfile {
    /// Sustained throughput on Transformer inference, in GFLOP/s (not the datasheet peak).
    #[schemars(range(min = 0.001))]
    pub gflops: f64,
    /// Memory available to the model, in MB.
    #[schemars(range(min = 1.0))]
    pub memory_mb: f64,
    /// Sustained memory bandwidth, in GB/s: what bounds each generated token. Absent in a
    /// bundle: the class's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.001))]
    pub memory_bandwidth_gbs: Option<f64>,
}

impl DeviceProfile {
    /// Default profile of a deployment class. Organisations override these in `[devices]`.
    ///
    /// Basis:
    /// - `mobile`: 80 GFLOP/s, calibrated on MobileBERT's published 62 ms per 128-token query on a
    ///   Pixel 4 (MobileBERT abstract, cited in the catalog) against this model's 5.0 GFLOPs for it;
    ///   2 048 MB, a mid-range phone's budget for one foreground app; 15 GB/s, about half the
    ///   34 GB/s peak of the Pixel 4's LPDDR4X-4266 (4 × 16-bit channels).
    /// - `edge`: 40 GFLOP/s and 4 096 MB, a quad-core Cortex-A72/A76 board with NEON at about half
    ///   its fp32 peak (an assumption: replace with a measurement of your own device); 8 GB/s,
    ///   about half the 17 GB/s peak of a Raspberry Pi 5's 32-bit LPDDR4X-4267.
    /// - `on-prem-cpu`: 200 GFLOP/s and 16 384 MB, four AVX2 server cores at about 30 % of peak;
    ///   20 GB/s, what four cores draw from DDR4 (about 5 GB/s per core in STREAM-like loads).
    /// - `cloud-cpu`: 400 GFLOP/s and 16 384 MB, an 8-vCPU AVX-512 instance at about 30 % of peak;
    ///   40 GB/s on the same per-core basis.
    /// - `cloud-gpu`: 20 000 GFLOP/s and 16 384 MB, an NVIDIA T4 (65 TFLOP/s fp16 tensor peak, 16 GB)
    ///   at about 30 % of peak; 240 GB/s, 75 % of the T4's 320 GB/s GDDR6 peak.
    pub fn default_for(deployment: Deployment) -> DeviceProfile {
        let (gflops, memory_mb, bandwidth) = match deployment {
            Deployment::Mobile => (80.0, 2048.0, 15.0),
            Deployment::Edge => (40.0, 4096.0, 8.0),
            Deployment::OnPremCpu => (200.0, 16384.0, 20.0),
            Deployment::CloudCpu => (400.0, 16384.0, 40.0),
            Deployment::CloudGpu => (20000.0, 16384.0, 240.0),
        };
        DeviceProfile {
            gflops,
            memory_mb,
            memory_bandwidth_gbs: Some(bandwidth),
        }
    }

    /// Memory bandwidth in bytes per second; unbounded when neither the bundle nor a default
    /// gives one (generation is then priced by its compute alone).
    pub(super) fn bytes_per_s(&self) -> f64 {
        self.memory_bandwidth_gbs.map_or(f64::INFINITY, |g| g * 1e9)
    }
}
