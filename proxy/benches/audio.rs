//! PCM -> WAV -> base64 data URL throughput, the work the proxy does for every spoken sentence
//! and every whole-reply clip. Criterion; `cargo bench -p proxy --bench audio`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use proxy::speech::audio::{wav_data_url, wav_from_pcm16};

/// 24 kHz mono PCM16: 48,000 bytes a second of speech.
const RATE: u32 = 24_000;

fn pcm(seconds: f64) -> Vec<u8> {
    let samples = (f64::from(RATE) * seconds) as usize;
    (0..samples)
        .flat_map(|i| (((i * 7919) % 65_536) as u16).to_le_bytes())
        .collect()
}

fn assembly(c: &mut Criterion) {
    let mut g = c.benchmark_group("pcm_to_data_url");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    // A short sentence, a long sentence, a whole five-sentence reply.
    for seconds in [1.0, 5.0, 20.0] {
        let input = pcm(seconds);
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(format!("{seconds}s")),
            &input,
            |b, input| b.iter(|| wav_data_url(&wav_from_pcm16(black_box(input), RATE))),
        );
    }
    g.finish();
}

criterion_group!(benches, assembly);
criterion_main!(benches);
