"""Every sentence the walkthroughs say, in one table per language: ``EN`` and ``ZH`` have the same keys, in the
same order, so a translation sits at the same place in both (a test checks the keys and the ``{placeholders}``).

The Chinese follows the wording of the source documents: 反向传播, 损失函数, 梯度下降, 学习率, 输出层误差,
隐藏层误差, 卷积, 池化, 全连接层, 注意力, 位置编码, 正则化, 过拟合 ...
A formula made of symbols only sits in the walkthrough code, beside the line that computes it; a formula with
words in it is here, under the key ``<walkthrough>.<step>_formula``.
"""

from __future__ import annotations

EN: dict[str, str] = {
    # ------------------------------------------------------------------------------------------ common
    "formula": "formula",
    "code": "code",
    "numbers": "numbers",
    "plot_written": "plot written",
    "plot_step": "step",
    "plot_epoch": "epoch",
    "plot_data": "data",
    "by_hand": "by hand",
    "list_header": "Walkthroughs (python -m tinygrad_edu.demo NAME ...; * = part of the default tour):",
    "list_footer": "Options: --quick (seconds each)  --out DIR  --lang en|zh  --device cpu|cuda  --epochs N  --seed N "
                   " --data-dir DIR",
    "unknown": "unknown walkthrough(s): {names}. Available: {available} (see --list)",
    "bad_epochs": "--epochs {epochs}: the number of epochs must be at least 1",
    "device_missing": "--device {device} cannot be used here: {reason}",
    "unavailable": "⚠ {name} skipped: {reason}",
    "skipped": "skipped",
    "closing_done": "Done. Time per walkthrough:",
    "closing_plots": "\n"
                     "{count} plots written into {out}:",
    "closing_others": "\n"
                      "More walkthroughs (python -m tinygrad_edu.demo NAME, add --quick for a fast run):",
    "closing_how": "All of them: python -m tinygrad_edu.demo --list",
    "summary.backprop": "backpropagation by hand on a 2-layer MLP: z, a, δᴸ, δˡ, ∂L/∂W — checked against backward() "
                        "and finite differences",
    "summary.autodiff": "the chain rule on one neuron a = σ(wx + b), by hand and by backward(); then fit a line",
    "summary.regression": "the documents' Linear(10, 1) + MSE + SGD: one step in detail, then 1000 epochs; loss curve,"
                          " true vs learned weights",
    "summary.optimizers": "SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, AdamW race on a 2-D loss surface and on a "
                          "small MLP; paths over contours, loss curves",
    "summary.regularization": "over-fitting and its cures: none vs L1 vs L2 vs dropout vs DropConnect vs early "
                              "stopping; train/validation curves, weight histograms",
    "summary.cnn": "the documents' Keras CNN on generated shapes (or MNIST with --data-dir): im2col, pooling, filters,"
                   " feature maps, confusion matrix, mistakes",
    "summary.lstm": "one LSTM step by hand; the adding problem with hidden-state and gate plots; the documents' "
                    "Embedding → LSTM → LSTM → Dense classifier",
    "summary.transformer": "attention by hand, the positional encoding as a picture, and a small Transformer that "
                           "learns to reverse digit sequences; attention heatmaps",
    "summary.gpu": "the same CNN training step on the CPU (NumPy) and a CUDA GPU (CuPy): checked to agree, timed "
                   "(needs CuPy and a GPU)",
    "summary.inside": "seeing inside and making it smaller: graph and architecture drawings, hooks, gradient flow, "
                      "saliency / integrated gradients / occlusion / LIME, pruning to 80%, mixed precision, NaN "
                      "hunting",
    # ---------------------------------------------------------------------------------------- backprop
    "backprop.title": "Backpropagation, one number at a time: a 2-layer MLP on one sample",
    "backprop.intro": "Input x (3 values) → hidden layer of 4 sigmoid neurons → 2 sigmoid outputs, loss L = ½‖a² − "
                      "y‖².\n"
                      "We run the forward pass, send the error back layer by layer with the delta rule, and then check"
                      " every gradient twice: against the engine's backward() and against finite differences.",
    "backprop.section_setup": "The network and one training sample",
    "backprop.setup": "Random weights (seeded), one input x and its target y:",
    "backprop.section_forward": "Forward pass: each layer computes z = Wx + b, then a = σ(z)",
    "backprop.z1": "The hidden layer's weighted sums (pre-activations):",
    "backprop.a1": "The hidden activations, squashed into (0, 1) by the sigmoid:",
    "backprop.z2": "The output layer's weighted sums, from the hidden activations:",
    "backprop.a2": "The network's prediction:",
    "backprop.loss": "The loss function compares the prediction with the target:",
    "backprop.section_backward": "Backward pass by hand: the deltas δ = ∂L/∂z, from the output layer back",
    "backprop.delta2": "The output-layer error δᴸ: how the loss changes with each output's weighted sum:",
    "backprop.sign_note": "    (The documents write δ_L = (y − ŷ) ⊙ σ′(z_L), the same number with the opposite sign — "
                          "the gradient of −L — and then add the step.\n"
                          "     We keep δ = ∂L/∂z so that every update reads θ ← θ − α∇J(θ).)",
    "backprop.grad_w2": "A weight's gradient is the delta of the neuron it feeds times the activation it carries:",
    "backprop.delta1": "The hidden-layer error: the output deltas sent back through the transposed weights, times the "
                       "local slope σ′:",
    "backprop.grad_w1": "And the first layer's weight gradients, with the input x as the activation it carries:",
    "backprop.section_engine": "The engine does the same with loss.backward()",
    "backprop.engine": "The same forward pass on Tensors with requires_grad=True, then one call:",
    "backprop.engine_formula": "∂L/∂θ for every θ with requires_grad=True, by the chain rule in reverse order",
    "backprop.engine_deltas": "retain_grad() keeps the gradient on the intermediate z tensors — they are the deltas:",
    "backprop.section_numeric": "Finite differences: the definition of the derivative, no calculus needed",
    "backprop.numeric": "Nudge one weight up and down by h and watch the loss (shown for W¹₀₀; done for all 26):",
    "backprop.numeric_formula": "∂L/∂θᵢ ≈ (L(θ + h eᵢ) − L(θ − h eᵢ)) / 2h,   error O(h²)",
    "backprop.compare": "\n"
                        "Largest disagreement per parameter (by hand vs engine: absolute; vs finite differences: "
                        "relative):",
    "backprop.col_param": "parameter",
    "backprop.col_engine": "|engine − by hand|",
    "backprop.col_numeric": "|numeric − by hand| / |by hand|",
    "backprop.verdict_ok": "✓ All three agree: engine to {engine:.1e}, finite differences to {numeric:.1e} (the O(h²) "
                           "truncation and rounding error of the difference quotient).",
    "backprop.verdict_bad": "✗ The gradients disagree (engine {engine:.1e}, finite differences {numeric:.1e}): this is"
                            " a bug, please report it.",
    "backprop.section_descent": "With the gradients, gradient descent can learn",
    "backprop.descent": "{steps} steps of gradient descent, each a forward pass, the deltas, and the update:",
    "backprop.plot_input": "input x",
    "backprop.plot_hidden": "hidden layer (σ)",
    "backprop.plot_output": "output layer (σ)",
    "backprop.plot_network_title": "Backpropagation: edges coloured by ∂L/∂w, units labelled a and δ",
    "backprop.plot_by_hand": "by hand (delta rule)",
    "backprop.plot_engine": "engine backward()",
    "backprop.plot_numeric": "finite differences",
    "backprop.plot_gradients_title": "The 26 gradients, three ways",
    "backprop.plot_engine_error": "|engine − by hand|",
    "backprop.plot_numeric_error": "|finite differences − by hand|",
    "backprop.plot_descent_title": "Loss during gradient descent on one sample",
    # -------------------------------------------------------------------------------------- regression
    "regression.title": "Linear regression: nn.Linear(10, 1), the mean squared error and gradient descent",
    "regression.intro": "The documents' first PyTorch listing: a fully connected layer with 10 inputs and 1 output, "
                        "the MSE loss and SGD with learning rate 0.01,\n"
                        "trained for 1000 epochs. The data come from a known linear function, so we can see whether "
                        "the weights it learns are the true ones.",
    "regression.section_data": "Data with a known answer",
    "regression.data": "200 samples of 10 features; the targets are a linear function of them plus a little noise:",
    "regression.section_model": "The model, the loss function and the optimizer",
    "regression.model": "One fully connected layer (10 weights and a bias, initialised at random), as in the "
                        "documents:",
    "regression.section_one_step": "One training step, in detail",
    "regression.forward": "Forward pass: a prediction for every sample at once (a matrix product):",
    "regression.loss": "The loss function: the mean of the squared errors:",
    "regression.backward": "Backward pass: loss.backward() fills W.grad; the formula gives the same numbers:",
    "regression.update": "The update moves every weight a small step against its gradient:",
    "regression.section_train": "Training: the same step, over and over",
    "regression.progress": "    epoch {epoch:5d}/{epochs}   MSE {loss:.6f}",
    "regression.loop": "Each epoch is the documents' loop body (full batch: all 200 samples per step):",
    "regression.loop_formula": "repeat: forward → loss → zero_grad → backward → step",
    "regression.section_compare": "What did it learn?",
    "regression.least_squares": "The exact least-squares answer, for comparison:",
    "regression.least_squares_formula": "θ̂ = argmin ‖[X 1] θ − y‖²  (the normal equations, solved exactly)",
    "regression.verdict": "Gradient descent is within {gap:.1e} of the exact least-squares weights and within "
                          "{error:.1e} of the true ones (the noise ε limits how close any method can get).",
    "regression.plot_noise": "noise variance 0.1² (the best possible MSE)",
    "regression.plot_loss_title": "Mean squared error during training",
    "regression.plot_true": "true w*",
    "regression.plot_learned": "learned W",
    "regression.plot_weights_title": "True vs learned weights",
    # -------------------------------------------------------------------------------------- optimizers
    "optimizers.title": "Optimizers: seven ways to go downhill",
    "optimizers.intro": "Every optimizer uses the same gradient g = ∇J(θ); they differ in how they turn it into a "
                        "step.\n"
                        "Momentum remembers past gradients, AdaGrad and RMSprop divide by their size, Adam does both, "
                        "AdamW also shrinks the weights.",
    "optimizers.section_adam": "Adam's first step, by hand",
    "optimizers.adam_first": "At t = 1 the bias corrections undo the zero start exactly, so the step is α times the "
                             "sign of g:",
    "optimizers.adam_note": "    (The documents' Adam formula, m_t = β₁x_t + (1 − β₁)(x_t − x_{{t−1}}), mixes the "
                            "moments up; the rule above is Kingma & Ba's and PyTorch's.)",
    "optimizers.section_surface": "Race 1: a ravine, steep across and flat along",
    "optimizers.surface": "{steps} steps each from the same start; the same gradient, seven update rules:",
    "optimizers.surface_formula": "f(x, y) = x²/20 + y²,   start (−7, 2),   minimum (0, 0)",
    "optimizers.col_settings": "settings",
    "optimizers.col_rule": "update rule",
    "optimizers.col_end": "end point",
    "optimizers.surface_note": "Plain SGD zig-zags across the ravine and crawls along it; momentum overshoots and "
                               "swings back; the adaptive methods\n"
                               "(AdaGrad, RMSprop, Adam) rescale each coordinate, so the flat direction gets as large "
                               "a step as the steep one.",
    "optimizers.section_mlp": "Race 2: a small MLP on the spiral data (3 classes, 300 points)",
    "optimizers.mlp": "The same network, the same initial weights and the same batches for every optimizer, {epochs} "
                      "epochs:",
    "optimizers.mlp_formula": "2 → 64 → 64 → 3 (ReLU),   L = cross-entropy,   batches of 30",
    "optimizers.col_first": "loss, epoch 1",
    "optimizers.col_last": "loss, last epoch",
    "optimizers.col_accuracy": "accuracy",
    "optimizers.mlp_note": "Each optimizer has its own good learning rate (the settings column); with those, the "
                           "adaptive methods get there in fewer epochs.",
    "optimizers.plot_surface_title": "f(x, y) = x²/20 + y²: {steps} steps from (−7, 2)",
    "optimizers.plot_spiral": "spiral data",
    "optimizers.plot_loss": "cross-entropy loss (training)",
    "optimizers.plot_mlp_title": "MLP 2-64-64-3 on the spiral",
    # ---------------------------------------------------------------------------------- regularization
    "regularization.title": "Regularisation: over-fitting and five cures",
    "regularization.intro": "A network with 17,000 weights can memorise 60 noisy points — and then it predicts new "
                            "points worse. We train the same network\n"
                            "six times from the same initial weights and watch the validation loss: with no "
                            "regulariser, with L1, L2, dropout, DropConnect, and with early stopping.",
    "regularization.section_data": "Few, noisy training points; many validation points",
    "regularization.data": "Two interleaving half-moons with heavy noise (the classes overlap):",
    "regularization.data_formula": "60 training points, 500 validation points (--quick: 200), 2 classes",
    "regularization.model": "A network much larger than the problem needs:",
    "regularization.section_cures": "The cures, one number at a time",
    "regularization.l1": "L1 adds λ·sign(w) to every weight's gradient: a constant pull towards 0, which sets many "
                         "weights exactly to 0:",
    "regularization.l2": "L2 adds λ·w: a pull proportional to the weight (\"weight decay\"), which shrinks all "
                         "weights:",
    "regularization.dropout": "Dropout zeroes each activation with probability p in training and scales the others by "
                              "1/(1 − p); in evaluation it does nothing:",
    "regularization.dropconnect": "DropConnect drops weights instead of activations — a new mask at every forward pass"
                                  " in training, the plain weights in evaluation:",
    "regularization.section_race": "Six runs from the same initial weights",
    "regularization.race": "{epochs} epochs each (early stopping: until the validation loss stops improving):",
    "regularization.race_formula": "J = cross-entropy (+ penalty),  Adam(lr=0.01),  full batch",
    "regularization.col_variant": "regulariser",
    "regularization.col_train": "train loss",
    "regularization.col_val": "val loss",
    "regularization.col_best": "best val loss @ epoch",
    "regularization.col_accuracy": "val accuracy",
    "regularization.col_zeros": "|w| < 10⁻³",
    "regularization.early_note": "Early stopping ended training at epoch {stopped}, {patience} epochs without "
                                 "improvement after its best epoch {best}, and restored that epoch's weights.",
    "regularization.early_not_stopped": "Early stopping did not trigger in {epochs} epochs (it stops after {patience} "
                                        "epochs without improvement); it kept the weights of epoch {best}.",
    "regularization.overfit": "Without a regulariser the training loss falls to {train:.3f} while the validation loss "
                              "climbs from its best {best:.3f} back up to {final:.3f}: over-fitting.",
    "regularization.too_short": "In {epochs} epochs the network has hardly begun to over-fit; run without --quick (200"
                                " epochs) to see the validation loss climb.",
    "regularization.better": "Final validation loss lower than without a regulariser: {cures}.",
    "regularization.histograms": "The histograms show how: L1 pulls most weights to 0 and keeps a few large ones; L2 "
                                 "shrinks every weight (under Adam, the weights of units\n"
                                 "that get no gradient from the data decay to 0 too); dropout and DropConnect leave "
                                 "the weights large but teach the network to work with parts of it missing;\n"
                                 "early stopping keeps the weights from before they grew.",
    "regularization.variant.none": "no regulariser",
    "regularization.variant.l1": "L1 (λ = 10⁻³)",
    "regularization.variant.l2": "L2 (λ = 10⁻²)",
    "regularization.variant.dropout": "dropout (p = 0.5)",
    "regularization.variant.dropconnect": "DropConnect (p = 0.5)",
    "regularization.variant.early_stopping": "early stopping",
    "regularization.plot_train": "training",
    "regularization.plot_val": "validation",
    "regularization.plot_best": "weights kept",
    "regularization.plot_curves_title": "Cross-entropy loss on the training and validation data",
    "regularization.plot_weights_title": "Weights of the hidden layer (128 × 128) after training",
    "regularization.plot_boundaries_title": "Decision boundaries (the 60 training points shown)",
    # --------------------------------------------------------------------------------------------- cnn
    "cnn.title": "A convolutional neural network: the documents' Keras CNN, layer by layer",
    "cnn.intro": "Conv2D(32, 3×3) → MaxPooling 2×2 → Conv2D(64, 3×3) → MaxPooling 2×2 → Conv2D(64, 3×3) → Flatten → "
                 "Dense(64) → Dense(classes).\n"
                 "A convolution slides a small filter over the image; in the engine it is one matrix product (im2col)."
                 " Pooling keeps the largest value of each 2×2 window.",
    "cnn.mnist_missing": "MNIST is not available in --data-dir and could not be downloaded.\n"
                         "{error}",
    "cnn.mnist_hint": "(MNIST was not found on this machine, so the generated shapes are used. To train on real "
                      "handwritten digits: --data-dir DIR, which downloads the four files into DIR when they are "
                      "missing.)",
    "cnn.section_data": "The images",
    "cnn.data_shapes": "Generated 28×28 images of five shapes (offline, seeded) — circle, square, triangle, cross, "
                       "ring:",
    "cnn.data_mnist": "Real handwritten digits from MNIST (a random subset, to keep the walkthrough short):",
    "cnn.section_model": "The model and its parameters",
    "cnn.model": "Each convolution has C_in·3·3 weights and a bias per output channel; the table lists every layer:",
    "cnn.model_formula": "parameters = Σ_conv (C_in·k·k + 1)·C_out + Σ_dense (in + 1)·out",
    "cnn.section_im2col": "Convolution as one matrix product (im2col)",
    "cnn.im2col": "im2col copies every 3×3 receptive field into a row: the first row is the top-left patch of the "
                  "first image:",
    "cnn.matmul": "Then all 32 filters apply to all patches in one product, the same numbers the Conv2d layer gives:",
    "cnn.matmul_formula": "Y = cols · Wᵀ + b:  (N·26·26 × 9) · (9 × 32) → reshape to (N, 32, 26, 26)",
    "cnn.shapes": "The shape after each layer (3×3 convolutions without padding shrink by 2, pooling halves):",
    "cnn.pooling": "Max pooling keeps the largest activation of each 2×2 window (a 4×4 patch of one feature map):",
    "cnn.section_train": "Training",
    "cnn.progress": "    epoch {epoch}/{epochs}   loss {loss:.4f}   training accuracy {accuracy:.1%}   test accuracy "
                    "{val_accuracy:.1%}",
    "cnn.trained": "{epochs} epoch(s), {steps} steps of forward pass, backpropagation through every layer, and Adam:",
    "cnn.trained_formula": "Adam(lr = 2·10⁻³),  batch 64,  L = cross-entropy",
    "cnn.seconds": "seconds",
    "cnn.per_step": "per step",
    "cnn.section_inside": "What the network learned",
    "cnn.confusion": "The confusion matrix of the test images (rows: true class, columns: predicted):",
    "cnn.confusion_formula": "C[i, j] = #{{test images of class i predicted as j}},  accuracy = trace(C) / ΣC",
    "cnn.accuracy": "accuracy",
    "cnn.plot_filters_title": "The 32 learned 3×3 filters of the first convolution",
    "cnn.plot_input": "input ({label})",
    "cnn.plot_maps_title": "Feature maps: after Conv2d(1, 32) + ReLU (middle), after Conv2d(32, 64) + ReLU (right, 24 "
                           "of 64)",
    "cnn.plot_predicted": "predicted",
    "cnn.plot_true": "true",
    "cnn.plot_confusion_title": "Confusion matrix (test images)",
    "cnn.plot_mistakes_title": "Misclassified test images, true → predicted ({count} of {total})",
    "cnn.plot_no_mistakes": "No misclassified test images ({count} of {total})",
    "cnn.plot_test": "test",
    "cnn.plot_loss": "cross-entropy loss",
    # -------------------------------------------------------------------------------------------- lstm
    "lstm.title": "Recurrent networks: the LSTM and its gates",
    "lstm.intro": "A recurrent network reads a sequence one step at a time and carries a hidden state h_t from step to"
                  " step. The LSTM adds a cell state c_t,\n"
                  "changed only by gated addition, so information can survive many steps: the forget gate f decides "
                  "what to keep, the input gate i what to write,\n"
                  "the output gate o what to show.",
    "lstm.section_step": "One LSTM step by hand",
    "lstm.z": "All four gates start from the same weighted sum of the input and the previous hidden state:",
    "lstm.z_formula": "[z_i, z_f, z_g, z_o] = W_ih x_t + W_hh h_{{t−1}} + b   (4 gates × 3 units)",
    "lstm.gates": "Three gates squashed into (0, 1) by the sigmoid, and the candidate values into (−1, 1) by tanh:",
    "lstm.input_gate": "input gate",
    "lstm.forget_gate": "forget gate",
    "lstm.candidate": "candidate",
    "lstm.output_gate": "output gate",
    "lstm.cell": "The cell state keeps what the forget gate lets through and adds what the input gate lets in:",
    "lstm.check": "nn.LSTM computes the same step:",
    "lstm.check_formula": "nn.LSTM(2, 3) on the same x_t",
    "lstm.section_adding": "The adding problem: remember two numbers across the sequence",
    "lstm.adding_data": "Each step brings a random value and a marker; the target is the sum of the two marked values:",
    "lstm.adding_data_formula": "x_t = (value_t, marker_t),   y = Σ_t value_t · marker_t   (two markers)",
    "lstm.adding_trained": "LSTM(2, 32) + Linear(32, 1), Adam(lr = 0.01), {epochs} epochs; validation MSE per epoch:",
    "lstm.adding_trained_formula": "MSE = (1/n) Σ (ŷ − y)²;   always answering 1 gives 1/6 ≈ 0.167",
    "lstm.adding_solved": "Validation MSE {mse:.4f}, {ratio:.0f}× below the baseline {baseline:.3f}: the LSTM has "
                          "learned to store the marked values and add them.",
    "lstm.adding_learning": "Validation MSE {mse:.4f} against the baseline {baseline:.3f}: still learning — more "
                            "epochs (without --quick) let the LSTM find the markers.",
    "lstm.adding_examples": "Six validation sequences, target and prediction:",
    "lstm.adding_states": "Recomputing every gate and state of one sequence by hand (the picture below draws them):",
    "lstm.adding_states_formula": "the loop of the previous section, over all T steps, with the trained weights",
    "lstm.section_classifier": "The documents' text classifier: Embedding → LSTM → LSTM → Dense",
    "lstm.reviews": "Synthetic reviews of 12 words from a vocabulary of 20: words 0–5 are positive, 6–11 negative, the"
                    " rest neutral:",
    "lstm.reviews_formula": "label = 1 if #{{positive words}} > #{{negative words}} else 0",
    "lstm.positive_share": "positive reviews",
    "lstm.classifier": "Each word id becomes a learned 16-dimensional vector; the second LSTM's last hidden state "
                       "feeds the classifier:",
    "lstm.classifier_trained": "{epochs} epoch(s); validation accuracy per epoch:",
    "lstm.classifier_trained_formula": "L = cross-entropy,  Adam(lr = 0.01)",
    "lstm.running": "Reading one review word by word: the model's answer after each word (it counts as it reads):",
    "lstm.running_formula": "P(positive | w₁ … w_t) = softmax(Dense(h_t))₁ after every word t",
    "lstm.plot_baseline": "always answering 1 (MSE 1/6)",
    "lstm.plot_adding_title": "The adding problem: mean squared error",
    "lstm.plot_values": "input",
    "lstm.plot_hidden": "hidden h_t",
    "lstm.plot_cell": "cell c_t",
    "lstm.plot_input_gate": "input gate i",
    "lstm.plot_forget_gate": "forget gate f",
    "lstm.plot_output_gate": "output gate o",
    "lstm.plot_states_title": "One sequence through the trained LSTM (red: the two marked steps; rows: the 32 units)",
    "lstm.plot_words": "word id (green: positive, red: negative, grey: neutral)",
    "lstm.plot_running_title": "P(positive) after each word",
    # ------------------------------------------------------------------------------------- transformer
    "transformer.title": "The Transformer: attention, positions, and a model that learns to reverse a sequence",
    "transformer.intro": "Self-attention lets every position of a sequence look at every other position at once and "
                         "take a weighted average of what it finds;\n"
                         "the weights come from how well a query matches each key. A position code tells the model "
                         "where each token sits.",
    "transformer.section_attention": "Attention by hand: softmax(QKᵀ/√d_k) V",
    "transformer.scores": "Every query is compared with every key by a dot product, scaled by 1/√d_k so that the "
                          "scores do not grow with the dimension:",
    "transformer.scores_formula": "S = Q Kᵀ / √d_k   (3 tokens, d_k = 4)",
    "transformer.softmax": "The softmax turns each row of scores into weights that are positive and sum to 1:",
    "transformer.softmax_formula": "A = softmax(S) row by row:  Aᵢⱼ = e^{{Sᵢⱼ}} / Σₖ e^{{Sᵢₖ}}",
    "transformer.output": "Each output row is the weighted average of the value rows; the library's function gives the"
                          " same numbers:",
    "transformer.section_positions": "The positional encoding",
    "transformer.pe": "Attention by itself ignores order, so a code of the position is added to each token's vector:",
    "transformer.pe_note": "    (The documents' PyTorch listing of this layer does not run: it uses an undefined i and"
                           " fills a 1×1×d buffer. The formula above is Vaswani et al.'s.)",
    "transformer.section_reverse": "A small Transformer learns to reverse digit sequences",
    "transformer.data": "Random sequences of 8 digits; the target is the same sequence backwards:",
    "transformer.data_formula": "y[t] = x[L − 1 − t]   (L = 8 digits)",
    "transformer.model": "Embedding(10, 32) + positional encoding → 2 encoder layers (4 heads, feed-forward 64) → "
                         "Linear(32, 10):",
    "transformer.model_formula": "x ↦ Linear(Encoder₂(Encoder₁(Embedding(x) + PE)))  per position",
    "transformer.scale_note": "    (No √d_model scaling of the embeddings here: with it, the N(0, 1) embeddings drown "
                              "the position code, and this model — in PyTorch as well — does not learn the reversal in"
                              " a few epochs.)",
    "transformer.trained": "{epochs} epoch(s); per epoch, the validation digits and whole sequences reversed "
                           "correctly:",
    "transformer.trained_formula": "L = cross-entropy over all 8 positions,  Adam(lr = 3·10⁻³)",
    "transformer.digits_right": "digits right",
    "transformer.sequences_right": "sequences right",
    "transformer.examples": "Four validation sequences and the model's answers:",
    "transformer.examples_formula": "ŷ = argmax softmax(logits) at every position",
    "transformer.attention": "The attention weights of one sequence: position t should look at position 7 − t (the "
                             "anti-diagonal) in some head:",
    "transformer.attention_formula": "A[t, j]: how much position t looks at position j (one map per head and layer)",
    "transformer.mirror": "layer {layer}: weight on the anti-diagonal (best head, mean over t)",
    "transformer.plot_position": "position",
    "transformer.plot_dimension": "dimension",
    "transformer.plot_pe_title": "Positional encoding PE(pos, dim), d = 64",
    "transformer.plot_pe_columns": "Four columns: fast to slow waves",
    "transformer.plot_head": "layer {layer}, head {head}",
    "transformer.plot_keys": "key position j (the input digit there)",
    "transformer.plot_queries": "query position t (it outputs y[t])",
    "transformer.plot_attention_title": "Attention weights of the trained model for one sequence",
    # --------------------------------------------------------------------------------------------- gpu
    "gpu.title": "CPU and GPU: one CNN training step on NumPy and on CuPy",
    "gpu.missing": "this walkthrough needs CuPy and a CUDA GPU. {reason}",
    "gpu.intro": "Every op body is written once against an array module xp — NumPy on the CPU, CuPy on the GPU — so "
                 "the same code trains on both.",
    "gpu.device": "GPU: {name} (CuPy {version})",
    "gpu.section_agree": "The same step gives the same numbers",
    "gpu.agree": "One Adam step of the documents' CNN from the same initial weights on the same 64 images; float32 "
                 "sums in a different order differ in the last digits only:",
    "gpu.agree_formula": "the same step on both devices:  θ₁ = Adam(θ₀, ∇L(θ₀))",
    "gpu.section_time": "And how long it takes",
    "gpu.timed": "Each device trains a fresh model; {repeats} timed steps per batch size:",
    "gpu.timed_formula": "median wall time of one training step (forward, backward, Adam), after 2 warm-up steps",
    "gpu.col_batch": "batch size",
    "gpu.col_speedup": "speed-up",
    "gpu.plot_title": "One training step of the CNN (median)",
    # ---------------------------------------------------------------------------------------- autodiff
    "autodiff.title": "Automatic differentiation: the chain rule, by hand and by the engine",
    "autodiff.section_neuron": "One neuron, one sample",
    "autodiff.z": "The weighted sum:",
    "autodiff.a": "The activation:",
    "autodiff.loss": "The loss (squared error):",
    "autodiff.chain": "By hand, the chain rule multiplies the local derivatives along the path from L back to w:",
    "autodiff.engine": "The engine records each operation and applies the same rule in reverse:",
    "autodiff.section_line": "Gradient descent fits a line y = 3x − 2 (plus noise)",
    "autodiff.descent": "Mean squared error and the gradient-descent update, repeated:",
    "autodiff.learned": "The learned w ≈ 3 and b ≈ −2: the gradients point the right way.",
    "autodiff.plot_fit": "Data and the fitted line",
    "autodiff.plot_loss": "Mean squared error",
    # ------------------------------------------------------------------------------------------ inside
    "inside.title": "Inside the network: drawings, hooks, gradient flow, explanations, pruning, mixed precision",
    "inside.intro": "A small CNN trained on generated shapes, looked at from every side: the graph the engine builds, "
                    "the architecture as a flowchart,\n"
                    "the gradients flowing back layer by layer, which pixels a decision rests on — and then made "
                    "smaller (pruning) and cheaper (float16).",
    "inside.section_drawings": "Drawings: the computation graph and the architecture (Mermaid text and PNG)",
    "inside.graph": "The graph behind the loss of one neuron, as Mermaid text (paste it into Markdown between "
                    "```mermaid fences):",
    "inside.plot_graph_title": "Computation graph of L = (σ(w·1.5 + b) − 1)²",
    "inside.architecture": "The CNN's architecture, traced by running it once on zeros; the shapes ride on the arrows:",
    "inside.plot_model_title": "The small CNN, layer by layer",
    "inside.flowchart": "The documents' flowchart, from a model with a backbone, multi-head attention and a fully "
                        "connected head:",
    "inside.section_hooks": "Hooks: your code inside the forward and backward passes",
    "inside.tensor_hook": "A tensor hook receives the gradient of z when backward reaches it — the delta of the "
                          "neuron:",
    "inside.module_hooks": "Forward hooks see each layer's output, a backward hook the gradient at the logits:",
    "inside.section_flow": "Gradient flow: ten layers of sigmoid against ten layers of ReLU with He initialisation",
    "inside.flow_sigmoid": "Sigmoid, default initialisation: the first layer's gradient is tiny beside the last's",
    "inside.flow_relu": "ReLU with He initialisation: the gradient keeps its size from the last layer to the first",
    "inside.flow_warnings": "    GradientFlow warnings: {warnings}",
    "inside.flow_lesson": "σ′ ≤ ¼ shrinks δ at every sigmoid layer (vanishing gradients); ReLU passes it on unchanged "
                          "where active, and He's Var w = 2/fan_in keeps its size.",
    "inside.plot_flow_weight": "‖∂L/∂W‖ per layer",
    "inside.plot_flow_delta": "‖δ‖ = ‖∂L/∂z‖ per layer",
    "inside.plot_flow_depth": "by depth (mean of the last steps)",
    "inside.plot_flow_step": "step",
    "inside.plot_flow_layer": "layer (input → output)",
    "inside.plot_flow_sigmoid": "10 sigmoid layers: the gradient vanishes towards the input",
    "inside.plot_flow_relu": "10 ReLU layers, He initialisation: the gradient keeps its size",
    "inside.section_cnn": "The CNN we look inside",
    "inside.cnn": "Trained on generated shapes (circle, square, triangle, cross, ring):",
    "inside.section_explain": "Explanations: which pixels did the decision rest on?",
    "inside.saliency": "Saliency: how much the class score changes for a small change of each pixel:",
    "inside.ig": "Integrated gradients with {steps} Gauss–Legendre points: the attributions add up to the change of "
                 "the score from a black image:",
    "inside.occlusion": "Occlusion: grey out a 4 × 4 patch at a time and watch the score drop (no gradients):",
    "inside.plot_saliency": "saliency",
    "inside.plot_occlusion": "occlusion",
    "inside.noise": "noise",
    "inside.permutation": "Tabular data — two moons plus two columns of noise. Permutation importance of each feature:",
    "inside.surrogate": "A LIME-style local linear surrogate around one point: the local effect of each feature:",
    "inside.plot_importance": "Permutation importance (drop in accuracy)",
    "inside.plot_surrogate": "Local surrogate at one point",
    "inside.section_prune": "Pruning: 80% of the weights set to zero",
    "inside.dense": "dense",
    "inside.pruned": "pruned, before fine-tuning",
    "inside.prune": "Global magnitude pruning: the 80% smallest |w| of all layers together become 0:",
    "inside.finetune": "One epoch of fine-tuning with the masks in place:",
    "inside.tuned": "pruned and fine-tuned",
    "inside.sparsity": "sparsity",
    "inside.structured": "Structured pruning removes whole filters — those with the smallest L1 norm:",
    "inside.removed": "removed filters",
    "inside.plot_dense": "before pruning",
    "inside.plot_pruned": "after pruning and fine-tuning",
    "inside.plot_weights": "Weights of all layers",
    "inside.plot_sparsity": "Sparsity per layer",
    "inside.section_amp": "Mixed precision: float16 products, float32 sums, and loss scaling",
    "inside.autocast": "Inside autocast, the convolution runs in float16, the loss in float32:",
    "inside.underflow": "A loss term weighted by 10⁻⁵: its float16 gradients underflow to zero unless the loss is "
                        "scaled first:",
    "inside.nonzero_plain": "non-zero gradients, unscaled",
    "inside.nonzero_scaled": "non-zero gradients, scaled by 2¹⁶",
    "inside.max_error": "largest error of the scaled ones (relative)",
    "inside.scaler": "GradScaler does this in a training loop, choosing S by itself:",
    "inside.skipped": "steps skipped (inf in a gradient: S halved)",
    "inside.cpu_speed": "The same product in float32 and float16 on this CPU:",
    "inside.cpu_note": "    NumPy has no float16 arithmetic on the CPU: it converts to float32 and back around every "
                       "operation, so float16 is slower here.\n"
                       "    The method pays off on a GPU with tensor cores (CuPy); on the CPU it is here to learn "
                       "and to check the numbers.",
    "inside.plot_grad": "gradients (float32)",
    "inside.plot_scaled": "× 2¹⁶ (loss scaling)",
    "inside.plot_smallest": "smallest float16 (2⁻²⁴)",
    "inside.plot_amp_title": "Why loss scaling: the gradients live below float16's range",
    "inside.section_anomaly": "Anomaly detection: where does the NaN come from?",
    "inside.anomaly": "Inside detect_anomaly(), the first op whose output is NaN or inf stops with this message:",
    "inside.fused": "The fused op computes the same thing stably:",
    "inside.closing": "Everything above is in tinygrad_edu.viz, .explain, .nn.utils.prune, .amp and detect_anomaly; "
                      "docs/inside-the-network.md explains each.",
}

ZH: dict[str, str] = {
    # ------------------------------------------------------------------------------------------ common
    "formula": "公式",
    "code": "代码",
    "numbers": "数值",
    "plot_written": "已保存图像",
    "plot_step": "步数",
    "plot_epoch": "训练轮次",
    "plot_data": "数据",
    "by_hand": "手算",
    "list_header": "演示列表（python -m tinygrad_edu.demo 名称 ...；* 表示默认演示的一部分）：",
    "list_footer": "选项：--quick（每个几秒）  --out 目录  --lang en|zh  --device cpu|cuda  --epochs N  --seed N  "
                   "--data-dir 目录",
    "unknown": "未知的演示：{names}。可用的演示：{available}（见 --list）",
    "bad_epochs": "--epochs {epochs}：训练轮次至少为 1",
    "device_missing": "无法使用 --device {device}：{reason}",
    "unavailable": "⚠ 已跳过 {name}：{reason}",
    "skipped": "已跳过",
    "closing_done": "完成。各演示用时：",
    "closing_plots": "\n"
                     "共 {count} 张图像，保存在 {out}：",
    "closing_others": "\n"
                      "更多演示（python -m tinygrad_edu.demo 名称，加 --quick 快速运行）：",
    "closing_how": "全部列表：python -m tinygrad_edu.demo --list",
    "summary.backprop": "在两层 MLP 上手算反向传播：z、a、δᴸ、δˡ、∂L/∂W——与 backward() 和有限差分对照",
    "summary.autodiff": "单个神经元 a = σ(wx + b) 上的链式法则，手算与 backward() 对照；然后拟合一条直线",
    "summary.regression": "文档中的 Linear(10, 1) + 均方误差 + SGD：先细看一步，再训练 1000 轮；损失曲线，真实权重与学"
                          "到的权重",
    "summary.optimizers": "SGD、Momentum、Nesterov、AdaGrad、RMSprop、Adam、AdamW 在二维损失曲面和小型 MLP 上比赛；等"
                          "高线上的路径，损失曲线",
    "summary.regularization": "过拟合及其对策：无正则化、L1、L2、Dropout、DropConnect、早停；训练/验证曲线，权重直方图",
    "summary.cnn": "文档中的 Keras 卷积神经网络，在生成的图形上训练（或用 --data-dir 使用 MNIST）：im2col、池化、卷积"
                   "核、特征图、混淆矩阵、错误样本",
    "summary.lstm": "手算一步 LSTM；加法问题，画出隐藏状态和门；文档中的 嵌入层 → LSTM → LSTM → 全连接层 分类器",
    "summary.transformer": "手算注意力，位置编码的图像，一个学会反转数字序列的小型 Transformer；注意力热图",
    "summary.gpu": "同一个 CNN 训练步骤分别在 CPU（NumPy）和 CUDA GPU（CuPy）上运行：核对结果一致，并计时（需要 CuPy "
                   "和 GPU）",
    "summary.inside": "看清网络内部并让它变小：计算图与结构图、钩子、梯度流、显著图 / 积分梯度 / 遮挡 / LIME、"
                      "剪枝到 80%、混合精度、追查 NaN",
    # ---------------------------------------------------------------------------------------- backprop
    "backprop.title": "反向传播，一个数一个数地算：两层 MLP，一个样本",
    "backprop.intro": "输入 x（3 个值）→ 含 4 个 sigmoid 神经元的隐藏层 → 2 个 sigmoid 输出，损失函数 L = ½‖a² − y‖²。"
                      "\n先做前向传播，再用误差项逐层把误差反向传播，最后把每个梯度核对两遍：与引擎的 backward() 对照"
                      "，与有限差分对照。",
    "backprop.section_setup": "网络与一个训练样本",
    "backprop.setup": "随机权重（固定随机种子）、一个输入 x 及其目标 y：",
    "backprop.section_forward": "前向传播：每一层先算 z = Wx + b，再算 a = σ(z)",
    "backprop.z1": "隐藏层的加权和（激活前的值）：",
    "backprop.a1": "隐藏层的激活值，被 sigmoid 激活函数压到 (0, 1) 之间：",
    "backprop.z2": "输出层的加权和，由隐藏层的激活值算出：",
    "backprop.a2": "网络的预测值：",
    "backprop.loss": "损失函数比较预测值与真实标签：",
    "backprop.section_backward": "手算反向传播：误差项 δ = ∂L/∂z，从输出层往回算",
    "backprop.delta2": "输出层误差 δᴸ：损失随每个输出的加权和如何变化：",
    "backprop.sign_note": "    （文档中写作 δ_L = (y − ŷ) ⊙ σ′(z_L)，数值相同、符号相反——即 −L 的梯度——更新时再加上步"
                          "长。\n"
                          "     这里保持 δ = ∂L/∂z，这样每次更新都写成 θ ← θ − α∇J(θ)。）",
    "backprop.grad_w2": "一个权重的梯度 = 它所连接的神经元的误差项 × 它传递的激活值：",
    "backprop.delta1": "隐藏层误差：输出层误差经转置的权重传回，再乘以局部斜率 σ′：",
    "backprop.grad_w1": "第一层权重的梯度，传递的激活值就是输入 x：",
    "backprop.section_engine": "引擎用 loss.backward() 做同样的事",
    "backprop.engine": "在 requires_grad=True 的张量上做同样的前向传播，然后调用一次：",
    "backprop.engine_formula": "对每个 requires_grad=True 的 θ 求 ∂L/∂θ：按逆序应用链式法则",
    "backprop.engine_deltas": "retain_grad() 让中间张量 z 保留梯度——它们就是误差项：",
    "backprop.section_numeric": "有限差分：导数的定义本身，不需要微积分",
    "backprop.numeric": "把一个权重加减 h，观察损失的变化（这里展示 W¹₀₀，26 个参数都已计算）：",
    "backprop.numeric_formula": "∂L/∂θᵢ ≈ (L(θ + h eᵢ) − L(θ − h eᵢ)) / 2h，误差 O(h²)",
    "backprop.compare": "\n"
                        "每个参数的最大差异（手算 vs 引擎：绝对差；vs 有限差分：相对差）：",
    "backprop.col_param": "参数",
    "backprop.col_engine": "|引擎 − 手算|",
    "backprop.col_numeric": "|数值 − 手算| / |手算|",
    "backprop.verdict_ok": "✓ 三者一致：引擎相差 {engine:.1e}，有限差分相差 {numeric:.1e}（差商的 O(h²) 截断误差与舍入"
                           "误差）。",
    "backprop.verdict_bad": "✗ 梯度不一致（引擎 {engine:.1e}，有限差分 {numeric:.1e}）：这是一个 bug，请报告。",
    "backprop.section_descent": "有了梯度，梯度下降就能学习",
    "backprop.descent": "{steps} 步梯度下降，每一步：前向传播、误差项、参数更新：",
    "backprop.plot_input": "输入 x",
    "backprop.plot_hidden": "隐藏层 (σ)",
    "backprop.plot_output": "输出层 (σ)",
    "backprop.plot_network_title": "反向传播：连线颜色表示 ∂L/∂w，神经元标注 a 与 δ",
    "backprop.plot_by_hand": "手算（误差项）",
    "backprop.plot_engine": "引擎 backward()",
    "backprop.plot_numeric": "有限差分",
    "backprop.plot_gradients_title": "26 个梯度，三种算法",
    "backprop.plot_engine_error": "|引擎 − 手算|",
    "backprop.plot_numeric_error": "|有限差分 − 手算|",
    "backprop.plot_descent_title": "在一个样本上梯度下降时的损失",
    # -------------------------------------------------------------------------------------- regression
    "regression.title": "线性回归：nn.Linear(10, 1)、均方误差与梯度下降",
    "regression.intro": "文档中的第一个 PyTorch 例子：一个 10 输入、1 输出的全连接层，均方误差损失函数，学习率 0.01 的"
                        " SGD，\n"
                        "训练 1000 轮。数据来自一个已知的线性函数，因此可以检验学到的权重是否就是真实的权重。",
    "regression.section_data": "答案已知的数据",
    "regression.data": "200 个样本、每个 10 个特征；目标值是它们的线性函数，再加一点噪声：",
    "regression.section_model": "模型、损失函数与优化器",
    "regression.model": "一个全连接层（10 个权重和一个偏置，随机初始化），与文档相同：",
    "regression.section_one_step": "细看一个训练步骤",
    "regression.forward": "前向传播：一次算出所有样本的预测值（一次矩阵乘法）：",
    "regression.loss": "损失函数：平方误差的平均值：",
    "regression.backward": "反向传播：loss.backward() 填好 W.grad；公式给出同样的数值：",
    "regression.update": "参数更新：每个权重沿梯度的反方向走一小步：",
    "regression.section_train": "训练：同样的步骤，一遍又一遍",
    "regression.progress": "    第 {epoch:5d}/{epochs} 轮   均方误差 {loss:.6f}",
    "regression.loop": "每一轮就是文档中循环体的内容（全批量：每步使用全部 200 个样本）：",
    "regression.loop_formula": "重复：前向传播 → 损失 → zero_grad → 反向传播 → step",
    "regression.section_compare": "学到了什么？",
    "regression.least_squares": "作为对照，精确的最小二乘解：",
    "regression.least_squares_formula": "θ̂ = argmin ‖[X 1] θ − y‖²（精确求解正规方程）",
    "regression.verdict": "梯度下降的结果与精确的最小二乘权重相差 {gap:.1e}，与真实权重相差 {error:.1e}（噪声 ε 决定了"
                          "任何方法能达到的精度）。",
    "regression.plot_noise": "噪声方差 0.1²（可能的最小均方误差）",
    "regression.plot_loss_title": "训练过程中的均方误差",
    "regression.plot_true": "真实 w*",
    "regression.plot_learned": "学到的 W",
    "regression.plot_weights_title": "真实权重与学到的权重",
    # -------------------------------------------------------------------------------------- optimizers
    "optimizers.title": "优化器：下山的七种走法",
    "optimizers.intro": "所有优化器都使用同一个梯度 g = ∇J(θ)；区别在于如何把它变成一步更新。\n"
                        "动量（Momentum）记住过去的梯度，AdaGrad 和 RMSprop 按梯度的大小自适应地调整学习率，Adam 两者"
                        "兼有，AdamW 还会衰减权重。",
    "optimizers.section_adam": "手算 Adam 的第一步",
    "optimizers.adam_first": "t = 1 时偏差修正正好抵消了从零开始的影响，所以这一步等于 α 乘以 g 的符号：",
    "optimizers.adam_note": "    （文档中的 Adam 公式 m_t = β₁x_t + (1 − β₁)(x_t − x_{{t−1}}) 把一阶矩和二阶矩弄混了；"
                            "上面是 Kingma & Ba 以及 PyTorch 的规则。）",
    "optimizers.section_surface": "第一场比赛：一条峡谷，横向陡峭、纵向平缓",
    "optimizers.surface": "每个优化器都从同一起点走 {steps} 步；同样的梯度，七种更新规则：",
    "optimizers.surface_formula": "f(x, y) = x²/20 + y²，起点 (−7, 2)，最小值点 (0, 0)",
    "optimizers.col_settings": "设置",
    "optimizers.col_rule": "更新规则",
    "optimizers.col_end": "终点",
    "optimizers.surface_note": "普通 SGD 在峡谷两壁之间来回振荡，沿谷底却走得很慢；动量会冲过头再摆回来；自适应方法\n"
                               "（AdaGrad、RMSprop、Adam）对每个坐标分别缩放，平缓方向的步子和陡峭方向一样大。",
    "optimizers.section_mlp": "第二场比赛：小型 MLP 学习螺旋数据（3 类，300 个点）",
    "optimizers.mlp": "每个优化器使用相同的网络、相同的初始权重和相同的批量，训练 {epochs} 轮：",
    "optimizers.mlp_formula": "2 → 64 → 64 → 3（ReLU），L = 交叉熵，批量 30",
    "optimizers.col_first": "第 1 轮损失",
    "optimizers.col_last": "最后一轮损失",
    "optimizers.col_accuracy": "准确率",
    "optimizers.mlp_note": "每个优化器有各自合适的学习率（见“设置”一列）；在这些设置下，自适应方法用更少的轮次达到目标"
                           "。",
    "optimizers.plot_surface_title": "f(x, y) = x²/20 + y²：从 (−7, 2) 出发走 {steps} 步",
    "optimizers.plot_spiral": "螺旋数据",
    "optimizers.plot_loss": "交叉熵损失（训练集）",
    "optimizers.plot_mlp_title": "MLP 2-64-64-3 学习螺旋数据",
    # ---------------------------------------------------------------------------------- regularization
    "regularization.title": "正则化：过拟合与五种对策",
    "regularization.intro": "一个有 17,000 个权重的网络能记住 60 个带噪声的点——然后对新数据的预测反而变差。我们从相同"
                            "的初始权重出发，\n"
                            "把同一个网络训练六遍，观察验证损失：无正则化、L1、L2、Dropout、DropConnect，以及早停。",
    "regularization.section_data": "训练点少且有噪声，验证点多",
    "regularization.data": "两个交错的半月形，噪声很大（两类相互重叠）：",
    "regularization.data_formula": "60 个训练点，500 个验证点（--quick：200 个），2 类",
    "regularization.model": "一个远大于问题所需的网络：",
    "regularization.section_cures": "各种对策，一个数一个数地看",
    "regularization.l1": "L1 正则化在每个权重的梯度上加 λ·sign(w)：一个恒定的、指向 0 的拉力，会让许多权重恰好变成 0：",
    "regularization.l2": "L2 正则化加 λ·w：与权重成正比的拉力（“权重衰减”），让所有权重变小：",
    "regularization.dropout": "Dropout 在训练时以概率 p 随机丢弃每个激活值，其余的乘以 1/(1 − p)；评估时不起作用：",
    "regularization.dropconnect": "DropConnect 丢弃的是权重而不是激活值——训练时每次前向传播换一个新掩码，评估时使用完"
                                  "整的权重：",
    "regularization.section_race": "从相同初始权重出发的六次训练",
    "regularization.race": "每次训练 {epochs} 轮（早停：直到验证损失不再下降）：",
    "regularization.race_formula": "J = 交叉熵（+ 惩罚项），Adam(lr=0.01)，全批量",
    "regularization.col_variant": "正则化方法",
    "regularization.col_train": "训练损失",
    "regularization.col_val": "验证损失",
    "regularization.col_best": "最佳验证损失 @ 轮次",
    "regularization.col_accuracy": "验证准确率",
    "regularization.col_zeros": "|w| < 10⁻³",
    "regularization.early_note": "早停在第 {stopped} 轮结束训练：在最佳的第 {best} 轮之后连续 {patience} 轮没有改进，"
                                 "并恢复了那一轮的权重。",
    "regularization.early_not_stopped": "早停在 {epochs} 轮内没有触发（连续 {patience} 轮没有改进才会停止）；保留了第 "
                                        "{best} 轮的权重。",
    "regularization.overfit": "没有正则化时，训练损失降到 {train:.3f}，验证损失却从最低的 {best:.3f} 回升到 "
                              "{final:.3f}：这就是过拟合。",
    "regularization.too_short": "{epochs} 轮训练中网络几乎还没有开始过拟合；去掉 --quick（训练 200 轮）即可看到验证损"
                                "失回升。",
    "regularization.better": "最终验证损失低于无正则化的方法：{cures}。",
    "regularization.histograms": "直方图显示了原因：L1 把大多数权重拉到 0，只保留少数较大的权重；L2 让所有权重变小（在"
                                 " Adam 下，\n"
                                 "得不到数据梯度的神经元的权重也会衰减到 0）；Dropout 和 DropConnect 让权重保持较大，"
                                 "但让网络学会在缺少一部分时也能工作；\n"
                                 "早停则保留了权重变大之前的那一轮。",
    "regularization.variant.none": "无正则化",
    "regularization.variant.l1": "L1（λ = 10⁻³）",
    "regularization.variant.l2": "L2（λ = 10⁻²）",
    "regularization.variant.dropout": "Dropout（p = 0.5）",
    "regularization.variant.dropconnect": "DropConnect（p = 0.5）",
    "regularization.variant.early_stopping": "早停",
    "regularization.plot_train": "训练集",
    "regularization.plot_val": "验证集",
    "regularization.plot_best": "保留的权重",
    "regularization.plot_curves_title": "训练集与验证集上的交叉熵损失",
    "regularization.plot_weights_title": "训练后隐藏层（128 × 128）的权重",
    "regularization.plot_boundaries_title": "决策边界（图中为 60 个训练点）",
    # --------------------------------------------------------------------------------------------- cnn
    "cnn.title": "卷积神经网络：文档中的 Keras CNN，逐层来看",
    "cnn.intro": "Conv2D(32, 3×3) → 最大池化 2×2 → Conv2D(64, 3×3) → 最大池化 2×2 → Conv2D(64, 3×3) → 扁平化 → 全连接"
                 "层(64) → 全连接层(类别数)。\n"
                 "卷积是让一个小卷积核在图像上滑动；在引擎中它是一次矩阵乘法（im2col）。池化保留每个 2×2 窗口中的最大"
                 "值。",
    "cnn.mnist_missing": "--data-dir 中没有 MNIST，也无法下载。\n"
                         "{error}",
    "cnn.mnist_hint": "（本机没有找到 MNIST，因此使用生成的图形。要用真实的手写数字训练：--data-dir 目录，缺少文件时会"
                      "把四个文件下载到该目录。）",
    "cnn.section_data": "图像数据",
    "cnn.data_shapes": "生成的 28×28 图像，五种图形（离线、固定随机种子）——圆、正方形、三角形、十字、圆环：",
    "cnn.data_mnist": "来自 MNIST 的真实手写数字（随机取一个子集，让演示保持简短）：",
    "cnn.section_model": "模型及其参数",
    "cnn.model": "每个卷积层对每个输出通道有 C_in·3·3 个权重和一个偏置；下表列出每一层：",
    "cnn.model_formula": "参数数量 = Σ_卷积层 (C_in·k·k + 1)·C_out + Σ_全连接层 (in + 1)·out",
    "cnn.section_im2col": "卷积就是一次矩阵乘法（im2col）",
    "cnn.im2col": "im2col 把每个 3×3 的感受野复制成一行：第一行就是第一张图像左上角的小块：",
    "cnn.matmul": "然后 32 个卷积核通过一次矩阵乘法作用于所有小块，结果与 Conv2d 层完全相同：",
    "cnn.matmul_formula": "Y = cols · Wᵀ + b：(N·26·26 × 9) · (9 × 32) → 变形为 (N, 32, 26, 26)",
    "cnn.shapes": "每一层之后的形状（无填充的 3×3 卷积使边长减 2，池化使边长减半）：",
    "cnn.pooling": "最大池化保留每个 2×2 窗口中最大的激活值（一个特征图中 4×4 的小块）：",
    "cnn.section_train": "训练",
    "cnn.progress": "    第 {epoch}/{epochs} 轮   损失 {loss:.4f}   训练准确率 {accuracy:.1%}   测试准确率 "
                    "{val_accuracy:.1%}",
    "cnn.trained": "{epochs} 轮，共 {steps} 步：前向传播、穿过每一层的反向传播、Adam 更新：",
    "cnn.trained_formula": "Adam(lr = 2·10⁻³)，批量 64，L = 交叉熵",
    "cnn.seconds": "秒",
    "cnn.per_step": "每步",
    "cnn.section_inside": "网络学到了什么",
    "cnn.confusion": "测试图像的混淆矩阵（行：真实类别，列：预测类别）：",
    "cnn.confusion_formula": "C[i, j] = #{{真实类别为 i、预测为 j 的测试图像}}，准确率 = trace(C) / ΣC",
    "cnn.accuracy": "准确率",
    "cnn.plot_filters_title": "第一个卷积层学到的 32 个 3×3 卷积核",
    "cnn.plot_input": "输入（{label}）",
    "cnn.plot_maps_title": "特征图：Conv2d(1, 32) + ReLU 之后（中），Conv2d(32, 64) + ReLU 之后（右，64 个中的 24 个）",
    "cnn.plot_predicted": "预测类别",
    "cnn.plot_true": "真实类别",
    "cnn.plot_confusion_title": "混淆矩阵（测试图像）",
    "cnn.plot_mistakes_title": "分类错误的测试图像，真实 → 预测（{total} 个中的 {count} 个）",
    "cnn.plot_no_mistakes": "没有分类错误的测试图像（{total} 个中的 {count} 个）",
    "cnn.plot_test": "测试集",
    "cnn.plot_loss": "交叉熵损失",
    # -------------------------------------------------------------------------------------------- lstm
    "lstm.title": "循环神经网络：LSTM 及其门",
    "lstm.intro": "循环神经网络一次读取序列的一步，并把隐藏状态 h_t 从一步传到下一步。LSTM 增加了一个细胞状态 c_t，\n"
                  "它只通过带门的加法改变，因此信息可以保留很多步：遗忘门 f 决定保留什么，输入门 i 决定写入什么，\n"
                  "输出门 o 决定输出什么。",
    "lstm.section_step": "手算一步 LSTM",
    "lstm.z": "四个门都从输入与上一个隐藏状态的同一个加权和出发：",
    "lstm.z_formula": "[z_i, z_f, z_g, z_o] = W_ih x_t + W_hh h_{{t−1}} + b（4 个门 × 3 个单元）",
    "lstm.gates": "三个门被 sigmoid 压到 (0, 1)，候选值被 tanh 压到 (−1, 1)：",
    "lstm.input_gate": "输入门",
    "lstm.forget_gate": "遗忘门",
    "lstm.candidate": "候选值",
    "lstm.output_gate": "输出门",
    "lstm.cell": "细胞状态保留遗忘门放行的部分，再加上输入门放入的部分：",
    "lstm.check": "nn.LSTM 计算出同样的一步：",
    "lstm.check_formula": "nn.LSTM(2, 3) 作用于同一个 x_t",
    "lstm.section_adding": "加法问题：在整个序列中记住两个数",
    "lstm.adding_data": "每一步给出一个随机数和一个标记；目标是两个被标记的数之和：",
    "lstm.adding_data_formula": "x_t = (数值_t, 标记_t)，y = Σ_t 数值_t · 标记_t（两个标记）",
    "lstm.adding_trained": "LSTM(2, 32) + Linear(32, 1)，Adam(lr = 0.01)，训练 {epochs} 轮；每轮的验证均方误差：",
    "lstm.adding_trained_formula": "均方误差 = (1/n) Σ (ŷ − y)²；总是回答 1 得到 1/6 ≈ 0.167",
    "lstm.adding_solved": "验证均方误差 {mse:.4f}，比基线 {baseline:.3f} 低 {ratio:.0f} 倍：LSTM 学会了存下被标记的数"
                          "并把它们相加。",
    "lstm.adding_learning": "验证均方误差 {mse:.4f}，基线为 {baseline:.3f}：仍在学习——更多的训练轮次（去掉 --quick）能"
                            "让 LSTM 找到标记。",
    "lstm.adding_examples": "六个验证序列的目标值与预测值：",
    "lstm.adding_states": "手算一个序列的每个门和每个状态（下图画出了它们）：",
    "lstm.adding_states_formula": "上一节的循环，用训练好的权重走完全部 T 步",
    "lstm.section_classifier": "文档中的文本分类器：嵌入层 → LSTM → LSTM → 全连接层",
    "lstm.reviews": "合成的评论，每条 12 个词，词表大小 20：词 0–5 为正面，6–11 为负面，其余为中性：",
    "lstm.reviews_formula": "标签 = 1 若 #{{正面词}} > #{{负面词}}，否则为 0",
    "lstm.positive_share": "正面评论",
    "lstm.classifier": "每个词的编号变成一个学到的 16 维向量；第二个 LSTM 最后的隐藏状态送入分类器：",
    "lstm.classifier_trained": "训练 {epochs} 轮；每轮的验证准确率：",
    "lstm.classifier_trained_formula": "L = 交叉熵，Adam(lr = 0.01)",
    "lstm.running": "逐词读一条评论：模型在每个词之后的判断（它边读边计数）：",
    "lstm.running_formula": "P(正面 | w₁ … w_t) = softmax(Dense(h_t))₁，在每个词 t 之后",
    "lstm.plot_baseline": "总是回答 1（均方误差 1/6）",
    "lstm.plot_adding_title": "加法问题：均方误差",
    "lstm.plot_values": "输入",
    "lstm.plot_hidden": "隐藏状态 h_t",
    "lstm.plot_cell": "细胞状态 c_t",
    "lstm.plot_input_gate": "输入门 i",
    "lstm.plot_forget_gate": "遗忘门 f",
    "lstm.plot_output_gate": "输出门 o",
    "lstm.plot_states_title": "一个序列经过训练好的 LSTM（红色：两个被标记的步；每行：32 个单元之一）",
    "lstm.plot_words": "词的编号（绿：正面，红：负面，灰：中性）",
    "lstm.plot_running_title": "每个词之后的 P(正面)",
    # ------------------------------------------------------------------------------------- transformer
    "transformer.title": "Transformer：注意力、位置，以及一个学会反转序列的模型",
    "transformer.intro": "自注意力让序列中的每个位置同时查看所有其他位置，并对看到的内容做加权平均；\n"
                         "权重来自查询（query）与每个键（key）的匹配程度。位置编码告诉模型每个词元所在的位置。",
    "transformer.section_attention": "手算注意力：softmax(QKᵀ/√d_k) V",
    "transformer.scores": "每个查询与每个键做点积，再乘以 1/√d_k，使得分不随维度增大：",
    "transformer.scores_formula": "S = Q Kᵀ / √d_k（3 个词元，d_k = 4）",
    "transformer.softmax": "softmax 把每一行得分变成为正且和为 1 的权重：",
    "transformer.softmax_formula": "A = 逐行 softmax(S)：Aᵢⱼ = e^{{Sᵢⱼ}} / Σₖ e^{{Sᵢₖ}}",
    "transformer.output": "每一行输出是各行值（value）的加权平均；库函数给出同样的数值：",
    "transformer.section_positions": "位置编码",
    "transformer.pe": "注意力本身不考虑顺序，因此要把位置的编码加到每个词元的向量上：",
    "transformer.pe_note": "    （文档中这一层的 PyTorch 代码无法运行：它使用了未定义的 i，并且只填充了一个 1×1×d 的缓"
                           "冲区。上面的公式来自 Vaswani 等人。）",
    "transformer.section_reverse": "一个小型 Transformer 学习反转数字序列",
    "transformer.data": "随机的 8 位数字序列；目标是倒过来的同一序列：",
    "transformer.data_formula": "y[t] = x[L − 1 − t]（L = 8 个数字）",
    "transformer.model": "嵌入层(10, 32) + 位置编码 → 2 个编码器层（4 个头，前馈 64）→ 全连接层(32, 10)：",
    "transformer.model_formula": "x ↦ Linear(Encoder₂(Encoder₁(Embedding(x) + PE)))，逐个位置",
    "transformer.scale_note": "    （这里嵌入向量不乘 √d_model：乘了之后 N(0, 1) 的嵌入会淹没位置编码，这个模型（在 "
                              "PyTorch 中也一样）在几轮之内学不会反转。）",
    "transformer.trained": "训练 {epochs} 轮；每轮验证集上数字与整个序列被正确反转的比例：",
    "transformer.trained_formula": "L = 全部 8 个位置上的交叉熵，Adam(lr = 3·10⁻³)",
    "transformer.digits_right": "数字正确",
    "transformer.sequences_right": "序列正确",
    "transformer.examples": "四个验证序列和模型的回答：",
    "transformer.examples_formula": "每个位置上 ŷ = argmax softmax(logits)",
    "transformer.attention": "一个序列的注意力权重：位置 t 应当在某个头中关注位置 7 − t（反对角线）：",
    "transformer.attention_formula": "A[t, j]：位置 t 对位置 j 的关注程度（每层每个头一张图）",
    "transformer.mirror": "第 {layer} 层：反对角线上的权重（最佳的头，对 t 取平均）",
    "transformer.plot_position": "位置",
    "transformer.plot_dimension": "维度",
    "transformer.plot_pe_title": "位置编码 PE(pos, dim)，d = 64",
    "transformer.plot_pe_columns": "四列：从快到慢的波",
    "transformer.plot_head": "第 {layer} 层，第 {head} 个头",
    "transformer.plot_keys": "键的位置 j（该位置的输入数字）",
    "transformer.plot_queries": "查询的位置 t（输出 y[t]）",
    "transformer.plot_attention_title": "训练好的模型对一个序列的注意力权重",
    # --------------------------------------------------------------------------------------------- gpu
    "gpu.title": "CPU 与 GPU：同一个 CNN 训练步骤分别在 NumPy 和 CuPy 上运行",
    "gpu.missing": "这个演示需要 CuPy 和一块 CUDA GPU。{reason}",
    "gpu.intro": "每个运算的实现只针对数组模块 xp 写一次——CPU 上是 NumPy，GPU 上是 CuPy——因此同一份代码可以在两者上训"
                 "练。",
    "gpu.device": "GPU：{name}（CuPy {version}）",
    "gpu.section_agree": "同样的步骤给出同样的数值",
    "gpu.agree": "文档中的 CNN 从相同的初始权重出发，在相同的 64 张图像上做一步 Adam；float32 求和顺序不同，只在最后几"
                 "位有差别：",
    "gpu.agree_formula": "两个设备上的同一步：θ₁ = Adam(θ₀, ∇L(θ₀))",
    "gpu.section_time": "以及所用的时间",
    "gpu.timed": "每个设备训练一个新模型；每种批量大小计时 {repeats} 步：",
    "gpu.timed_formula": "一个训练步骤（前向传播、反向传播、Adam）用时的中位数，先预热 2 步",
    "gpu.col_batch": "批量大小",
    "gpu.col_speedup": "加速比",
    "gpu.plot_title": "CNN 的一个训练步骤（中位数）",
    # ---------------------------------------------------------------------------------------- autodiff
    "autodiff.title": "自动微分：链式法则，手算与引擎对照",
    "autodiff.section_neuron": "一个神经元，一个样本",
    "autodiff.z": "加权和：",
    "autodiff.a": "激活值：",
    "autodiff.loss": "损失（平方误差）：",
    "autodiff.chain": "手算时，链式法则沿着从 L 到 w 的路径把局部导数相乘：",
    "autodiff.engine": "引擎记录每一步运算，并反向应用同样的法则：",
    "autodiff.section_line": "梯度下降拟合直线 y = 3x − 2（加噪声）",
    "autodiff.descent": "均方误差与梯度下降的更新，反复进行：",
    "autodiff.learned": "学到 w ≈ 3、b ≈ −2：梯度指向了正确的方向。",
    "autodiff.plot_fit": "数据与拟合的直线",
    "autodiff.plot_loss": "均方误差",
    # ------------------------------------------------------------------------------------------ inside
    "inside.title": "网络内部：绘图、钩子、梯度流、可解释性、剪枝、混合精度",
    "inside.intro": "一个在生成图形上训练的小型卷积神经网络，从各个角度观察：引擎构建的计算图、画成流程图的网络结构，\n"
                    "逐层反向流动的梯度、决策依赖哪些像素——然后让它更小（剪枝）、更省（float16）。",
    "inside.section_drawings": "绘图：计算图与网络结构（Mermaid 文本和 PNG）",
    "inside.graph": "一个神经元的损失背后的计算图，Mermaid 文本（放进 Markdown 的 ```mermaid 代码块即可显示）：",
    "inside.plot_graph_title": "L = (σ(w·1.5 + b) − 1)² 的计算图",
    "inside.architecture": "CNN 的结构：在全零输入上运行一次追踪得到；箭头上标着数据的形状：",
    "inside.plot_model_title": "小型 CNN，逐层展示",
    "inside.flowchart": "文档中的流程图，来自一个由主干网络、多头注意力和全连接层组成的模型：",
    "inside.section_hooks": "钩子：在前向和反向传播中运行你自己的代码",
    "inside.tensor_hook": "张量钩子在反向传播到达 z 时收到它的梯度——也就是该神经元的误差项 δ：",
    "inside.module_hooks": "前向钩子看到每一层的输出，反向钩子看到 logits 处的梯度：",
    "inside.section_flow": "梯度流：十层 sigmoid 对比十层使用 He 初始化的 ReLU",
    "inside.flow_sigmoid": "sigmoid，默认初始化：第一层的梯度与最后一层相比微乎其微",
    "inside.flow_relu": "ReLU 加 He 初始化：梯度从最后一层到第一层保持大小",
    "inside.flow_warnings": "    GradientFlow 警告：{warnings}",
    "inside.flow_lesson": "σ′ ≤ ¼，每经过一个 sigmoid 层 δ 就缩小（梯度消失）；ReLU 在激活处原样传递，He 初始化的 "
                          "Var w = 2/fan_in 保持其大小。",
    "inside.plot_flow_weight": "每层的 ‖∂L/∂W‖",
    "inside.plot_flow_delta": "每层的 ‖δ‖ = ‖∂L/∂z‖",
    "inside.plot_flow_depth": "按深度（最近几步的平均）",
    "inside.plot_flow_step": "步数",
    "inside.plot_flow_layer": "层（输入 → 输出）",
    "inside.plot_flow_sigmoid": "10 个 sigmoid 层：梯度向输入端消失",
    "inside.plot_flow_relu": "10 个 ReLU 层，He 初始化：梯度保持大小",
    "inside.section_cnn": "我们要观察的 CNN",
    "inside.cnn": "在生成的图形（圆、方块、三角形、十字、圆环）上训练：",
    "inside.section_explain": "可解释性：决策依赖哪些像素？",
    "inside.saliency": "显著图：每个像素微小变化时类别得分变化多少：",
    "inside.ig": "积分梯度，使用 {steps} 个 Gauss–Legendre 点：各像素的归因之和等于从全黑图像出发得分的变化：",
    "inside.occlusion": "遮挡法：每次把一个 4 × 4 的小块涂灰，观察得分下降（不需要梯度）：",
    "inside.plot_saliency": "显著图",
    "inside.plot_occlusion": "遮挡",
    "inside.noise": "噪声",
    "inside.permutation": "表格数据——双月数据加两列噪声。每个特征的置换重要性：",
    "inside.surrogate": "在一个点附近拟合 LIME 式的局部线性代理模型：每个特征的局部影响：",
    "inside.plot_importance": "置换重要性（准确率的下降）",
    "inside.plot_surrogate": "一个点处的局部代理模型",
    "inside.section_prune": "剪枝：把 80% 的权重置零",
    "inside.dense": "稠密",
    "inside.pruned": "剪枝后、微调前",
    "inside.prune": "全局幅值剪枝：所有层合在一起，|w| 最小的 80% 变为 0：",
    "inside.finetune": "保持掩码不变，微调一个轮次：",
    "inside.tuned": "剪枝并微调后",
    "inside.sparsity": "稀疏度",
    "inside.structured": "结构化剪枝删除整个卷积核——L1 范数最小的那些：",
    "inside.removed": "删除的卷积核",
    "inside.plot_dense": "剪枝前",
    "inside.plot_pruned": "剪枝并微调后",
    "inside.plot_weights": "所有层的权重",
    "inside.plot_sparsity": "每层的稀疏度",
    "inside.section_amp": "混合精度：float16 做乘积，float32 做求和，再加上损失缩放",
    "inside.autocast": "在 autocast 中，卷积以 float16 运行，损失以 float32 计算：",
    "inside.underflow": "一个权重为 10⁻⁵ 的损失项：除非先放大损失，否则它的 float16 梯度会下溢为零：",
    "inside.nonzero_plain": "非零梯度，未缩放",
    "inside.nonzero_scaled": "非零梯度，乘以 2¹⁶",
    "inside.max_error": "缩放后梯度的最大（相对）误差",
    "inside.scaler": "GradScaler 在训练循环中完成这些，并自动选择 S：",
    "inside.skipped": "跳过的步数（梯度中出现 inf：S 减半）",
    "inside.cpu_speed": "同一个矩阵乘积在这台 CPU 上分别用 float32 和 float16：",
    "inside.cpu_note": "    NumPy 在 CPU 上没有 float16 运算：每次运算都先转换成 float32 再转回来，所以这里 "
                       "float16 更慢。\n"
                       "    这种方法在带张量核心的 GPU（CuPy）上才有收益；在 CPU 上用于学习和核对数值。",
    "inside.plot_grad": "梯度（float32）",
    "inside.plot_scaled": "× 2¹⁶（损失缩放）",
    "inside.plot_smallest": "float16 的最小值（2⁻²⁴）",
    "inside.plot_amp_title": "为什么要缩放损失：梯度落在 float16 的表示范围之下",
    "inside.section_anomaly": "异常检测：NaN 从哪里来？",
    "inside.anomaly": "在 detect_anomaly() 中，第一个输出 NaN 或 inf 的运算会停下并给出这条信息：",
    "inside.fused": "融合的运算以数值稳定的方式计算同样的结果：",
    "inside.closing": "以上内容都在 tinygrad_edu.viz、.explain、.nn.utils.prune、.amp 和 detect_anomaly 中；"
                      "docs/inside-the-network.md 逐一讲解。",
}

TABLES: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}


def register(texts: dict[str, tuple[str, str]]) -> None:
    """Add a walkthrough's sentences, written beside its code as ``{key: (English, 中文)}``.

    A walkthrough module calls this once at import (``strings.register(TEXT)``), so both languages of every
    sentence sit side by side where they are used; the registry imports every walkthrough before the first
    sentence is looked up. A key may be registered once only: two walkthroughs cannot claim the same sentence.
    """
    for key, pair in texts.items():
        if key in EN:
            raise KeyError(f"narration key {key!r} is registered twice")
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(f"narration key {key!r}: give (English, Chinese), got {pair!r}")
        EN[key], ZH[key] = pair
