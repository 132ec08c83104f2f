//! # kd-mlp
//!
//! A multilayer-perceptron engine written from scratch (ndarray for storage and GEMM, rayon for
//! threads, no ML framework) that trains teachers, ensembles and students on IDX image files, to
//! reproduce and extend the study "hard labels versus knowledge distillation under limited compute"
//! on MNIST. The derivations behind every formula are in `docs/MATH.md`.
//!
//! ## Map of the modules
//!
//! | module | what it holds |
//! |---|---|
//! | [`idx`] | the IDX file format, raw or gzip, validated before anything is allocated |
//! | [`data`] | the data set (images kept as `u8`), the MNIST folder, the validation split |
//! | [`batch`] | gathering a shuffled batch into a float buffer (`x = pixel / 255`) |
//! | [`folder_lock`] | an exclusive lock on a results folder, so two runs cannot write one study at once |
//! | [`float`] | the [`Float`] trait: `f32` to train fast, `f64` to audit gradients through the same code |
//! | [`gradcheck`] | the gradient audit behind `kd-mlp gradcheck`: analytic against central finite differences, in f64, per parameter tensor |
//! | [`matmul`] | `C = A·B` with column blocks spread over rayon, identical bytes for any thread count |
//! | [`dense`] | the dense layer `y = x·W + b`: forward, backward, Glorot init |
//! | [`activation`] | ReLU forward and backward |
//! | [`interrupt`] | Ctrl-C and SIGTERM: a flag that training checks once per batch, so a run stops with nothing half-written |
//! | [`loss`] | stable softmax, sparse cross-entropy and its fused gradient `(softmax(z) − onehot(y)) / B`; the distillation loss in both soft-target modes |
//! | [`mlp`] | a stack of Dense+ReLU ending in logits, parameters in one flat buffer |
//! | [`adam`] | Adam in the Keras form, one pass over the flat parameter buffer |
//! | [`early_stopping`] | patience, min_delta, best epoch |
//! | [`teacher`] | a single model or an ensemble, its predictions and its soft targets |
//! | [`train`] | the training loop: epochs, batches, validation, early stopping, progress events |
//! | [`experiment`] | the study: repetitions, seeds, the paired design, the resumable results store |
//! | [`evaluate`] | test error, per-class error, confusion matrix |
//! | [`checkpoint`] | save and load a model as safetensors |
//! | [`record`] | the JSON record of one model of a study |
//! | [`report`] | the study's report: Table 1 beside the paper's, the distillation grid, the figure |
//! | [`rng`] | seeded, portable random streams derived from (seed, purpose) |
//! | [`scheduler`] | a graph of jobs on a fixed number of worker threads, each in its own one-thread pool |
//! | [`simd_gemm`] | hand-written AVX-512 products for the training step's shapes |
//! | [`stagger`] | big buffers placed at different offsets in a page, so Adam's loads do not wait on unrelated stores |
//! | [`speed`] | deployment size and inference time per sample, at batch 1 and 1000 |
//! | [`stats`] | mean, sd, confidence intervals, paired and Welch t-tests |
//! | [`threads`] | the rayon pool, with denormals flushed to zero on every worker |
//!
//! ## The math in brief
//!
//! For a batch `X: (B, 784)` the network computes `h₁ = relu(X·W₁ + b₁)`, …, `z = h_{L−1}·W_L + b_L`
//! (logits, `(B, 10)`), `p = softmax(z)` and the loss `L = −(1/B) Σ_b log p[b, y_b]`.
//! Backward starts from the fused gradient `dL/dz = (p − onehot(y)) / B` and applies, layer by
//! layer, `dW = hᵀ·dz`, `db = Σ_b dz`, `dh = dz·Wᵀ ⊙ [h > 0]`.
//!
//! ## A forward and backward pass in a few lines
//!
//! ```
//! use kd_mlp::loss::{cross_entropy_backward, softmax_cross_entropy};
//! use kd_mlp::mlp::{Mlp, Workspace};
//! use ndarray::Array2;
//!
//! // a 4-3-2 network, Glorot weights from seed 7, one batch of two samples
//! let mlp = Mlp::<f64>::glorot(&[4, 3, 2], 7).unwrap();
//! let mut ws = Workspace::new(mlp.sizes(), 2);
//! let x = Array2::from_shape_vec((2, 4), vec![0.1, 0.2, 0.3, 0.4, 1.0, 0.0, 0.5, 0.2]).unwrap();
//! mlp.forward(x.view(), &mut ws);
//! let (logits, probs, _) = ws.loss_buffers(2);
//! let loss_sum = softmax_cross_entropy(logits, &[0, 1], probs);
//! // each row of the softmax sums to one
//! assert!(ws.probs(2).rows().into_iter().all(|p| (p.sum() - 1.0).abs() < 1e-12));
//! let (_, probs, dlogits) = ws.loss_buffers(2);
//! cross_entropy_backward(probs.view(), &[0, 1], dlogits);
//! let mut grads = vec![0.0; mlp.params().len()];
//! mlp.backward(x.view(), &mut ws, &mut grads);
//! assert!(loss_sum > 0.0 && grads.iter().any(|&g| g != 0.0));
//! ```

pub mod activation;
pub mod adam;
pub mod batch;
pub mod checkpoint;
pub mod data;
pub mod dense;
pub mod early_stopping;
pub mod error;
pub mod evaluate;
pub mod experiment;
pub mod float;
pub mod folder_lock;
pub mod gradcheck;
pub mod idx;
pub mod interrupt;
pub mod loss;
pub mod matmul;
pub mod mlp;
pub mod record;
pub mod report;
pub mod rng;
pub mod scheduler;
pub mod simd_gemm;
pub mod speed;
pub mod stagger;
pub mod stats;
pub mod teacher;
pub mod threads;
pub mod train;

pub use error::Error;
pub use float::Float;
pub use mlp::Mlp;
