//! The gradient dump of `kd-mlp gradcheck --model FILE --dump OUT`: its layout, pinned, and its
//! f64 gradient against the finite-difference audit, for the hard loss and both distillation
//! modes.

use kd_mlp::audit::{compare_per_tensor, model_gradients, ModelGradients, TOLERANCE};
use kd_mlp::engine::loss::{Distillation, SoftTargetMode};
use kd_mlp::{Dataset, Mlp, Teacher};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use safetensors::{Dtype, SafeTensors};

const SIZES: [usize; 4] = [16, 6, 5, 3];

/// 12 random 4x4 images of 3 classes.
fn data() -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    // Faint pixels (at most 100 / 255): the loss stays gently curved at the step of the audit.
    let images = (0..12 * 16).map(|_| rng.gen_range(0..=100u8)).collect();
    let labels = (0..12).map(|i| (i % 3) as u8).collect();
    Dataset::new(images, labels, 4, 4, 3).unwrap()
}

fn model(seed: u64) -> Mlp<f32> {
    let mut m = Mlp::<f32>::glorot(&SIZES, seed).unwrap();
    // Non-zero biases, so that every bias path carries a gradient.
    let mut rng = ChaCha8Rng::seed_from_u64(seed + 100);
    let n = m.params().len();
    for v in &mut m.params_mut()[n - 3..] {
        *v = rng.gen_range(-0.3..0.3);
    }
    m
}

fn check_against_finite_differences(g: &ModelGradients) {
    assert!(
        g.relu_margin > 1e-3,
        "too near the ReLU kink: {}",
        g.relu_margin
    );
    let numeric = g.finite_differences();
    for t in compare_per_tensor(&SIZES, &g.grad_f64, &numeric, TOLERANCE) {
        assert!(
            t.passed,
            "{}: {} {}: {:?}",
            g.loss.name(),
            t.layer,
            t.tensor,
            t.comparison
        );
    }
    // The f32 gradient is the same computation in single precision.
    for (&a, &b) in g.grad_f32.iter().zip(&g.grad_f64) {
        assert!(
            (f64::from(a) - b).abs() <= 1e-5 * (1.0 + b.abs()),
            "{a} vs {b}"
        );
    }
    assert!((g.loss_f32 - g.loss_f64).abs() < 1e-5 * (1.0 + g.loss_f64));
}

#[test]
fn the_f64_gradient_matches_finite_differences_for_every_loss() {
    let data = data();
    let student = model(1);
    let hard = model_gradients(&student, &data, 2..9, None).unwrap();
    check_against_finite_differences(&hard);
    let teacher = Teacher::ensemble(vec![model(2), model(3)]).unwrap();
    for mode in [SoftTargetMode::Logits, SoftTargetMode::Probabilities] {
        let d = Distillation::new(0.3, 4.0, mode).unwrap();
        let g = model_gradients(&student, &data, 2..9, Some((&teacher, d))).unwrap();
        check_against_finite_differences(&g);
    }
}

#[test]
fn the_dump_layout_is_pinned() {
    let data = data();
    let student = model(1);
    let teacher = Teacher::single(model(2));
    let d = Distillation::new(0.1, 2.0, SoftTargetMode::Probabilities).unwrap();
    let g = model_gradients(&student, &data, 3..7, Some((&teacher, d))).unwrap();
    let bytes = g.to_safetensors(&[("model", "student.safetensors".into())]);
    // The same gradients give the same bytes.
    assert_eq!(
        bytes,
        g.to_safetensors(&[("model", "student.safetensors".into())])
    );
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let mut expected: Vec<(String, Dtype, Vec<usize>)> = vec![
        ("inputs".into(), Dtype::F32, vec![4, 16]),
        ("labels".into(), Dtype::I64, vec![4]),
        ("loss.f32".into(), Dtype::F32, vec![1]),
        ("loss.f64".into(), Dtype::F64, vec![1]),
        ("soft_targets".into(), Dtype::F32, vec![4, 3]),
        ("soft_targets.f64".into(), Dtype::F64, vec![4, 3]),
    ];
    for (l, io) in SIZES.windows(2).enumerate() {
        for (precision, dtype) in [("f32", Dtype::F32), ("f64", Dtype::F64)] {
            let weight = format!("grad.{precision}.dense.{l}.weight");
            expected.push((weight, dtype, vec![io[0], io[1]]));
            expected.push((
                format!("grad.{precision}.dense.{l}.bias"),
                dtype,
                vec![io[1]],
            ));
        }
    }
    let mut names: Vec<String> = file.names().into_iter().map(String::from).collect();
    names.sort();
    let mut wanted: Vec<String> = expected.iter().map(|e| e.0.clone()).collect();
    wanted.sort();
    assert_eq!(names, wanted);
    for (name, dtype, shape) in &expected {
        let t = file.tensor(name).unwrap();
        assert_eq!((t.dtype(), t.shape()), (*dtype, shape.as_slice()), "{name}");
    }
    // Values: labels, inputs (pixel / 255), the f64 gradient of the last bias, the loss.
    let labels: Vec<i64> = file
        .tensor("labels")
        .unwrap()
        .data()
        .chunks(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(
        labels,
        (3..7)
            .map(|i| i64::from(data.labels()[i]))
            .collect::<Vec<_>>()
    );
    let first = f32::from_le_bytes(
        file.tensor("inputs").unwrap().data()[..4]
            .try_into()
            .unwrap(),
    );
    assert_eq!(first, f32::from(data.image(3)[0]) / 255.0);
    let bias: Vec<f64> = file
        .tensor("grad.f64.dense.2.bias")
        .unwrap()
        .data()
        .chunks(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(bias, g.grad_f64[g.grad_f64.len() - 3..].to_vec());
    let loss = f64::from_le_bytes(file.tensor("loss.f64").unwrap().data().try_into().unwrap());
    assert_eq!(loss, g.loss_f64);
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap();
    for (k, v) in [
        ("format", "kd-mlp-gradients"),
        ("format_version", "1"),
        ("sizes", "16,6,5,3"),
        ("samples", "3..7"),
        ("loss", "distill-probabilities"),
        ("alpha", "0.1"),
        ("temperature", "2"),
        ("reduction", "mean"),
        ("model", "student.safetensors"),
    ] {
        assert_eq!(meta.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert!(meta.contains_key("relu_margin"));
}

#[test]
fn bad_sample_ranges_and_misfit_teachers_are_errors() {
    let data = data();
    let student = model(1);
    assert!(model_gradients(&student, &data, 5..5, None).is_err());
    assert!(model_gradients(&student, &data, 10..13, None).is_err());
    let wide = Teacher::single(Mlp::<f32>::glorot(&[16, 4, 7], 1).unwrap());
    let d = Distillation::new(0.5, 2.0, SoftTargetMode::Logits).unwrap();
    assert!(model_gradients(&student, &data, 0..4, Some((&wide, d))).is_err());
}
