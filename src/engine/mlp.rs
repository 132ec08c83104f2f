//! The multilayer perceptron: a stack of Dense+ReLU layers ending in logits.
//!
//! All parameters live in one flat buffer, layer after layer, each layer as `W` (row-major
//! `(in, out)`) then `b` (`out`). One buffer makes Adam a single pass, a snapshot of the best
//! epoch a single copy, and a checkpoint a single write; the layers are ndarray views into it.

use crate::engine::activation::{relu_backward, relu_forward};
use crate::engine::dense::{dense_backward, dense_forward, glorot_uniform};
use crate::engine::rng::{stream_rng, Stream};
use crate::error::Error;
use crate::Float;
use ndarray::{s, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

/// A fully connected ReLU network. `sizes = [inputs, hidden…, classes]`, e.g. `[784, 100, 10]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp<F> {
    sizes: Vec<usize>,
    params: Vec<F>,
}

/// Where layer `l`'s `W` and `b` start in a flat buffer.
fn layer_offsets(sizes: &[usize], l: usize) -> (usize, usize) {
    let before: usize = sizes
        .windows(2)
        .take(l)
        .map(|io| io[0] * io[1] + io[1])
        .sum();
    (before, before + sizes[l] * sizes[l + 1])
}

/// The number of parameters of a network with these layer sizes.
pub fn param_count(sizes: &[usize]) -> usize {
    sizes.windows(2).map(|io| io[0] * io[1] + io[1]).sum()
}

/// Floating-point operations of one training sample (forward, weight gradient, and input
/// gradient except at the first layer; 2 per multiply-add; biases, ReLU and the loss left out as
/// negligible): 3 974 000 for the teacher, 319 600 for the student.
///
/// Derivation: `docs/MATH.md`, section "Dense layer", "Cost in floating-point operations".
pub fn train_flops_per_sample(sizes: &[usize]) -> u64 {
    sizes
        .windows(2)
        .enumerate()
        .map(|(l, io)| {
            let mac = (io[0] * io[1]) as u64;
            if l == 0 {
                4 * mac
            } else {
                6 * mac
            }
        })
        .sum()
}

/// Floating-point operations of one sample's forward pass (inference): `2·I·O` per layer.
pub fn forward_flops_per_sample(sizes: &[usize]) -> u64 {
    sizes.windows(2).map(|io| 2 * (io[0] * io[1]) as u64).sum()
}

/// Layer `l`'s `(W, b)` as views into a flat buffer laid out like [`Mlp`]'s parameters.
///
/// # Shapes
/// `W: (sizes[l], sizes[l+1])`, `b: (sizes[l+1])`.
pub fn layer_view<'a, F>(
    sizes: &[usize],
    buf: &'a [F],
    l: usize,
) -> (ArrayView2<'a, F>, ArrayView1<'a, F>) {
    let (w0, b0) = layer_offsets(sizes, l);
    let (i, o) = (sizes[l], sizes[l + 1]);
    let w = ArrayView2::from_shape((i, o), &buf[w0..b0]).expect("layer shape matches the buffer");
    (w, ArrayView1::from(&buf[b0..b0 + o]))
}

/// Layer `l`'s `(W, b)` as mutable views; see [`layer_view`].
pub fn layer_view_mut<'a, F>(
    sizes: &[usize],
    buf: &'a mut [F],
    l: usize,
) -> (ArrayViewMut2<'a, F>, ArrayViewMut1<'a, F>) {
    let (w0, b0) = layer_offsets(sizes, l);
    let (i, o) = (sizes[l], sizes[l + 1]);
    let (w, b) = buf[w0..b0 + o].split_at_mut(b0 - w0);
    let w = ArrayViewMut2::from_shape((i, o), w).expect("layer shape matches the buffer");
    (w, ArrayViewMut1::from(b))
}

/// Parses hidden widths such as `"500,400,300,200,100"` (empty string: no hidden layer).
pub fn parse_hidden(text: &str) -> Result<Vec<usize>, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|part| match part.trim().parse::<usize>() {
            Ok(width) if width > 0 => Ok(width),
            _ => Err(Error::Config(format!(
                "bad hidden width '{part}' in '{text}': expected positive integers separated by commas, e.g. 500,400,300"
            ))),
        })
        .collect()
}

impl<F: Float> Mlp<F> {
    /// A network with all parameters zero. Errors if there are fewer than two sizes or a zero size.
    pub fn zeros(sizes: &[usize]) -> Result<Self, Error> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(Error::Config(format!(
                "a network needs an input size, optional hidden widths and a class count, all positive; got {sizes:?}"
            )));
        }
        Ok(Self {
            sizes: sizes.to_vec(),
            params: vec![F::zero(); param_count(sizes)],
        })
    }

    /// A network with Glorot-uniform weights and zero biases, drawn from the seed's `Init` stream.
    ///
    /// Derivation: `docs/MATH.md`, section "Glorot uniform initialisation".
    pub fn glorot(sizes: &[usize], seed: u64) -> Result<Self, Error> {
        let mut mlp = Self::zeros(sizes)?;
        let mut rng = stream_rng(seed, Stream::Init);
        for l in 0..mlp.layers() {
            let (w, _) = layer_view_mut(&mlp.sizes, &mut mlp.params, l);
            glorot_uniform(w, &mut rng);
        }
        Ok(mlp)
    }

    /// A network from existing parameters (e.g. a checkpoint); checks the count.
    pub fn from_params(sizes: &[usize], params: Vec<F>) -> Result<Self, Error> {
        let mlp = Self::zeros(sizes)?;
        if params.len() != mlp.params.len() {
            return Err(Error::Config(format!(
                "a {sizes:?} network has {} parameters, got {}",
                mlp.params.len(),
                params.len()
            )));
        }
        Ok(Self { params, ..mlp })
    }

    /// `[inputs, hidden…, classes]`.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }
    /// Number of Dense layers.
    pub fn layers(&self) -> usize {
        self.sizes.len() - 1
    }
    /// Input width.
    pub fn inputs(&self) -> usize {
        self.sizes[0]
    }
    /// Output width (the number of classes).
    pub fn classes(&self) -> usize {
        self.sizes[self.sizes.len() - 1]
    }
    /// All parameters, layer by layer (`W` then `b`).
    pub fn params(&self) -> &[F] {
        &self.params
    }
    /// All parameters, mutable (the optimiser writes here).
    pub fn params_mut(&mut self) -> &mut [F] {
        &mut self.params
    }
    /// Layer `l`'s `(W, b)`.
    pub fn layer(&self, l: usize) -> (ArrayView2<'_, F>, ArrayView1<'_, F>) {
        layer_view(&self.sizes, &self.params, l)
    }

    /// Forward pass over the first `x.nrows()` rows of the workspace: every hidden layer
    /// `h_{l+1} = relu(h_l·W_l + b_l)`, the last `z = h·W + b` (logits, no activation).
    /// Returns the logits.
    ///
    /// Derivation: `docs/MATH.md`, section "The network, end to end".
    ///
    /// # Shapes
    /// `x: (B, inputs)` with `B <= ws.capacity()`; returns `(B, classes)`.
    pub fn forward<'w>(&self, x: ArrayView2<F>, ws: &'w mut Workspace<F>) -> ArrayView2<'w, F> {
        let rows = x.nrows();
        let last = self.layers() - 1;
        for l in 0..self.layers() {
            let (w, b) = self.layer(l);
            let (done, rest) = ws.outputs.split_at_mut(l);
            let input = if l == 0 {
                x.view()
            } else {
                done[l - 1].slice(s![..rows, ..])
            };
            let mut out = rest[0].slice_mut(s![..rows, ..]);
            dense_forward(input, w, b, out.view_mut());
            if l < last {
                relu_forward(out);
            }
        }
        ws.outputs[last].slice(s![..rows, ..])
    }

    /// Backward pass. Reads the layer outputs of the last [`Mlp::forward`] and `∂L/∂z` from
    /// [`Workspace::logit_grad_mut`], and writes `∂L/∂θ` into `grads` (laid out like the
    /// parameters). Layer by layer from the top: `dW = hᵀ·dz`, `db = Σ_rows dz`,
    /// `dh = dz·Wᵀ`, then through the ReLU `dz' = dh ⊙ [h > 0]`.
    ///
    /// Derivation: `docs/MATH.md`, section "The network, end to end".
    ///
    /// # Shapes
    /// `x: (B, inputs)` (the same batch as the forward pass), `grads: (param_count)`.
    pub fn backward(&self, x: ArrayView2<F>, ws: &mut Workspace<F>, grads: &mut [F]) {
        let rows = x.nrows();
        for l in (0..self.layers()).rev() {
            let (w, _) = self.layer(l);
            let (dw, db) = layer_view_mut(&self.sizes, grads, l);
            let (grads_below, grads_here) = ws.output_grads.split_at_mut(l);
            let dy = grads_here[0].slice(s![..rows, ..]);
            if l == 0 {
                dense_backward(x.view(), w, dy, dw, db, None);
            } else {
                let h = ws.outputs[l - 1].slice(s![..rows, ..]);
                let mut dh = grads_below[l - 1].slice_mut(s![..rows, ..]);
                dense_backward(h, w, dy, dw, db, Some(dh.view_mut()));
                relu_backward(h, dh);
            }
        }
    }
}

/// The buffers one forward and backward pass of one network needs, allocated once for a fixed
/// maximum batch so that the training step allocates nothing.
#[derive(Debug, Clone)]
pub struct Workspace<F> {
    capacity: usize,
    /// `outputs[l]`: layer `l`'s output, `(capacity, sizes[l+1])`; the last one holds the logits.
    outputs: Vec<Array2<F>>,
    /// `output_grads[l]`: `∂L/∂outputs[l]`, same shapes.
    output_grads: Vec<Array2<F>>,
    /// Softmax of the logits, `(capacity, classes)`.
    probs: Array2<F>,
}

impl<F: Float> Workspace<F> {
    /// Buffers for batches of up to `capacity` rows through a network with these sizes.
    pub fn new(sizes: &[usize], capacity: usize) -> Self {
        let outputs: Vec<Array2<F>> = sizes[1..]
            .iter()
            .map(|&o| Array2::zeros((capacity, o)))
            .collect();
        let classes = sizes[sizes.len() - 1];
        Self {
            capacity,
            output_grads: outputs.clone(),
            outputs,
            probs: Array2::zeros((capacity, classes)),
        }
    }

    /// The largest batch these buffers hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The logits of the last forward pass (first `rows` rows).
    pub fn logits(&self, rows: usize) -> ArrayView2<'_, F> {
        self.outputs[self.outputs.len() - 1].slice(s![..rows, ..])
    }

    /// The logits (read), the probability buffer and `∂L/∂z` (written) of the first `rows` rows,
    /// for a loss to fill.
    pub fn loss_buffers(
        &mut self,
        rows: usize,
    ) -> (
        ArrayView2<'_, F>,
        ArrayViewMut2<'_, F>,
        ArrayViewMut2<'_, F>,
    ) {
        let last = self.outputs.len() - 1;
        (
            self.outputs[last].slice(s![..rows, ..]),
            self.probs.slice_mut(s![..rows, ..]),
            self.output_grads[last].slice_mut(s![..rows, ..]),
        )
    }

    /// `∂L/∂z`, the gradient with respect to the logits, of the first `rows` rows.
    pub fn logit_grad_mut(&mut self, rows: usize) -> ArrayViewMut2<'_, F> {
        let last = self.output_grads.len() - 1;
        self.output_grads[last].slice_mut(s![..rows, ..])
    }

    /// The softmax buffer of the first `rows` rows.
    pub fn probs(&self, rows: usize) -> ArrayView2<'_, F> {
        self.probs.slice(s![..rows, ..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counts worked out by hand in docs/MATH.md ("Cost in floating-point operations").
    #[test]
    fn flop_counts_match_the_hand_worked_ones() {
        let teacher = [784, 500, 400, 300, 200, 100, 10];
        assert_eq!(train_flops_per_sample(&teacher), 3_974_000);
        assert_eq!(forward_flops_per_sample(&teacher), 1_586_000);
        assert_eq!(train_flops_per_sample(&[784, 100, 10]), 319_600);
    }

    #[test]
    fn parameter_layout_and_count() {
        // 784·100 + 100 + 100·10 + 10
        assert_eq!(param_count(&[784, 100, 10]), 79_510);
        assert_eq!(param_count(&[784, 500, 400, 300, 200, 100, 10]), 794_510);
        let mut mlp = Mlp::<f32>::zeros(&[3, 2, 4]).unwrap();
        for (i, v) in mlp.params_mut().iter_mut().enumerate() {
            *v = i as f32;
        }
        let (w1, b1) = mlp.layer(1);
        // layer 0 occupies 3·2 + 2 = 8 values; layer 1's W starts at 8, its b at 8 + 2·4 = 16
        assert_eq!(w1[[0, 0]], 8.0);
        assert_eq!(w1[[1, 3]], 15.0);
        assert_eq!(b1.to_vec(), vec![16.0, 17.0, 18.0, 19.0]);
    }

    #[test]
    fn hidden_widths_parse_and_reject() {
        assert_eq!(parse_hidden("500, 400,300").unwrap(), vec![500, 400, 300]);
        assert_eq!(parse_hidden("").unwrap(), Vec::<usize>::new());
        assert!(parse_hidden("100,0").is_err());
        assert!(parse_hidden("100,x").is_err());
        assert!(Mlp::<f32>::zeros(&[784]).is_err());
    }

    #[test]
    fn glorot_weights_within_limit_and_biases_zero() {
        let mlp = Mlp::<f64>::glorot(&[784, 100, 10], 7).unwrap();
        let (w, b) = mlp.layer(0);
        // limit = sqrt(6 / (784 + 100))
        let limit = (6.0f64 / 884.0).sqrt();
        assert!(w.iter().all(|v| v.abs() < limit));
        // 78 400 uniform draws: the largest is within 1 % of the limit, the mean near 0
        assert!(w.iter().fold(0.0f64, |m, v| m.max(v.abs())) > 0.99 * limit);
        assert!(w.mean().unwrap().abs() < 0.01 * limit);
        assert!(b.iter().all(|&v| v == 0.0));
        assert_eq!(mlp, Mlp::glorot(&[784, 100, 10], 7).unwrap());
        assert_ne!(mlp, Mlp::glorot(&[784, 100, 10], 8).unwrap());
    }
}
