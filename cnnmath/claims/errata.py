"""Ledger: sections that no chapter mirrors (the thesis's abstract, §4, §5.3 and §6; the paper's
§4-5 training runs; the slides' history of CNNs; the blog's architectures). The errata discusses
them; many can only be checked against the literature they cite or should cite.
"""

from __future__ import annotations

from .record import Finding, by_reference, claim

CHAPTER = "errata"


@claim(
    "thesis-abstract-image-sizes",
    document="thesis",
    where="abstract",
    stated="Fashion-MNIST images are greyscale and 'slightly smaller' than CIFAR-10's small "
    "coloured images",
    verdict="holds",
    correct="as stated: 28 × 28 × 1 = 784 values against 32 × 32 × 3 = 3,072",
    reference="Xiao, Rasul & Vollgraf (2017), 'Fashion-MNIST: a novel image dataset for "
    "benchmarking machine learning algorithms', arXiv:1708.07747; Krizhevsky (2009), 'Learning "
    "multiple layers of features from tiny images', ch. 3",
    chapter=CHAPTER,
)
def _image_sizes() -> Finding:
    return by_reference(
        True, "Fashion-MNIST images are 28 × 28 × 1 (784 values), CIFAR-10's 32 × 32 × 3 (3,072)"
    )


@claim(
    "thesis-4-keras-backends",
    document="thesis",
    where="§4.1 and §4.2",
    stated="Keras 'can run on top of JAX, TensorFlow and PyTorch'; since TensorFlow 2.0.0 "
    "Keras is part of "
    "TensorFlow, which runs on a GPU by default when one is available",
    verdict="holds",
    correct="as stated (Keras 3, 2023, is the multi-backend version)",
    reference="keras.io, 'Introducing Keras 3.0' (2023); tensorflow.org, 'Effective "
    "TensorFlow 2' and 'Use a GPU'",
    chapter=CHAPTER,
)
def _keras() -> Finding:
    return by_reference(
        True,
        "the backends of Keras 3 are JAX, TensorFlow and PyTorch; TensorFlow 2 ships Keras as "
        "tf.keras and places operations on a GPU when one is visible",
    )


@claim(
    "thesis-5.3-parameter-comparison",
    document="thesis",
    where="§5.3",
    stated="on CIFAR-10 the CNN has fewer trainable parameters than the fully connected "
    "model; Fashion-MNIST's "
    "models have fewer than CIFAR-10's because of the smaller input",
    verdict="holds",
    correct="as stated, counted from the two networks as §5.1.1 and §5.1.2 describe them",
    chapter=CHAPTER,
)
def _comparison() -> Finding:
    from ..zoo import mlp, thesis_cnn

    cnn = {"cifar": thesis_cnn(input_shape=(3, 32, 32)).n_params, "fashion": thesis_cnn().n_params}
    ann = {
        "cifar": mlp((3072, 128, 64, 32, 10)).n_params,
        "fashion": mlp((784, 128, 64, 32, 10)).n_params,
    }
    ok = (
        cnn["cifar"] < ann["cifar"]
        and cnn["fashion"] < cnn["cifar"]
        and ann["fashion"] < ann["cifar"]
    )
    return Finding(
        ok,
        ok,
        f"trainable: CIFAR-10 CNN {cnn['cifar']:,} < ANN {ann['cifar']:,}; Fashion-MNIST CNN "
        f"{cnn['fashion']:,}, ANN {ann['fashion']:,}",
    )


@claim(
    "thesis-6-layer-count",
    document="thesis",
    where="§6 (and §5.1.2)",
    stated="the fully connected networks had input + 3 + output layers, the convolutional "
    "ones input + 15 + output; "
    "§5.1.2: 'After the input layer, there are 16 layers'",
    verdict="holds",
    correct="as stated, counting as Keras does (an activation inside its layer): 12 layers "
    "in the two blocks, "
    "then flatten, dense, dropout and the output",
    chapter=CHAPTER,
)
def _layers() -> Finding:
    from ..layers import Activation
    from ..zoo import thesis_cnn

    keras_layers = [l for l in thesis_cnn().layers if not isinstance(l, Activation)]
    hidden_dense = len((784, 128, 64, 32, 10)) - 2
    ok = len(keras_layers) == 16 == 15 + 1 and hidden_dense == 3
    return Finding(
        ok,
        ok,
        f"the thesis CNN without separate activation layers: {len(keras_layers)} layers; the ANN: "
        f"{hidden_dense} hidden layers and the output",
    )


@claim(
    "paper-4-epoch-size",
    document="paper",
    where="§4, the listing of train(), and §5",
    stated="train() reads m = 50,000 images and batches range(0, "
    "int(train_data.shape[0]/16), batch_size) with "
    "batch_size = 32; §5: 'we simply reduced the training set by a factor of 2 then by a "
    "factor of 16'",
    verdict="holds",
    correct="as stated: the printed listing is the factor-16 run, 98 batches of 32 (3,136 "
    "images) per epoch",
    chapter=CHAPTER,
)
def _epoch() -> Finding:
    m, batch_size = 50_000, 32
    starts = range(0, int(m / 16), batch_size)
    images = sum(min(batch_size, m - k) for k in starts)
    ok = len(starts) == 98 and abs(images - m / 16) < batch_size
    return Finding(
        ok, ok, f"{len(starts)} batches, {images:,} images per epoch, m/16 = {m / 16:,.0f}"
    )


@claim(
    "paper-5-run-times",
    document="paper",
    where="§5",
    stated="the whole set took eight hours; reduced by a factor of 2, 4 hours, and by a "
    "factor of 16, 30 minutes",
    verdict="holds",
    correct="as stated: the times scale with the number of images, 8 h / 2 = 4 h, 8 h / 16 "
    "= 30 min",
    chapter=CHAPTER,
)
def _times() -> Finding:
    ok = 8 * 60 / 2 == 4 * 60 and 8 * 60 / 16 == 30
    return Finding(ok, ok, f"480 min / 2 = {480 / 2:.0f} min, 480 min / 16 = {480 / 16:.0f} min")


@claim(
    "slides-history-dates",
    document="slides",
    where="'Hubel and Wiesel's Experiments (1950s)', 'The First Blueprint: The Neocognitron "
    "(1980)' and "
    "'Introduction of CNNs (1989)'",
    stated="Hubel and Wiesel's experiments in the 1950s; Fukushima's neocognitron in 1980; "
    "LeCun's team introduced "
    "CNNs trained with backpropagation in 1989",
    verdict="holds",
    correct="as stated",
    reference="Hubel & Wiesel (1959), J. Physiol. 148; Fukushima (1980), Biological "
    "Cybernetics 36; LeCun et al. "
    "(1989), Neural Computation 1(4)",
    chapter=CHAPTER,
)
def _history() -> Finding:
    return by_reference(True, "Hubel & Wiesel 1959 (the 1950s), Fukushima 1980, LeCun et al. 1989")


@claim(
    "slides-imagenet-resnet",
    document="slides",
    where="'The Convergence: Igniting the Golden Era (2010s)' and 'The Explosion of Depth'",
    stated="ImageNet (2009) and ILSVRC (2010-2017) 'provided 14 million hand-annotated "
    "images'; 'By 2015, ResNet "
    "(152 layers) surpassed human-level performance'",
    verdict="holds",
    correct="as stated for ImageNet as a whole (about 14.2 million images); the ILSVRC "
    "classification task used "
    "about 1.28 million training images. ResNet-152's ensemble reached 3.57% top-5 error "
    "against the "
    "5.1% measured for a human annotator",
    reference="Deng et al. (2009), CVPR; Russakovsky et al. (2015), IJCV 115 (ILSVRC; human "
    "top-5 error 5.1%); "
    "He, Zhang, Ren & Sun (2016), CVPR (ResNet, 3.57%)",
    chapter=CHAPTER,
)
def _imagenet() -> Finding:
    return by_reference(
        True,
        "ImageNet 14,197,122 images (the ILSVRC training set 1,281,167); top-5 error: ResNet "
        "ensemble 3.57%, a human annotator 5.1%",
    )


@claim(
    "blog-lenet-1998",
    document="blog",
    where="'Architectures': Le-NET (1998)",
    stated="LeNet (1998): two rounds of convolution-ReLU-pooling, then a feed-forward "
    "network of 2 hidden layers "
    "and a softmax output",
    verdict="convention",
    correct="the layer sequence holds (after C1-S2-C3-S4: 120 and 84 hidden units, then 10 "
    "outputs), but LeNet-5 "
    "as published used scaled tanh units, trainable average subsampling and RBF outputs; ReLU, max "
    "pooling and softmax are the modern version the blog draws",
    reference="LeCun, Bottou, Bengio & Haffner (1998), Proc. IEEE 86(11), §II.B",
    chapter=CHAPTER,
)
def _lenet() -> Finding:
    return by_reference(
        True,
        "after C1-S2-C3-S4 the published network has two hidden layers (120 and 84 units) before "
        "the 10 outputs; its units are scaled tanh, its subsampling trainable averages, its "
        "outputs RBF units",
    )


@claim(
    "blog-architecture-years",
    document="blog",
    where="'Architectures'",
    stated="AlexNet (2012), ResNet and DenseNet are 'more modern architectures' than LeNet (1998)",
    verdict="holds",
    correct="as stated",
    reference="Krizhevsky et al. (2012), NeurIPS; He et al. (2016), CVPR (arXiv 2015); "
    "Huang et al. (2017), CVPR",
    chapter=CHAPTER,
)
def _years() -> Finding:
    return by_reference(True, "LeNet-5 1998, AlexNet 2012, ResNet 2015, DenseNet 2017")


# --------------------------------------------------------------------------------------------
# Editorial errata: references and titles that point to the wrong thing. What the source says
# elsewhere is the reference; nothing is computed.
# --------------------------------------------------------------------------------------------


@claim(
    "paper-4-figure-empty",
    document="paper",
    where="§4 (batch optimization)",
    stated="'The implementation of this concept in python, is summarized in figure ()'",
    verdict="editorial",
    correct="the number is missing: the implementation is the listing that follows (adamGD(), "
    "then train()), which carries no figure number; the paper's numbered figures end with "
    "Figure 7, the network's architecture (§3.1)",
    reference="the paper itself: its figure captions (Figures 1-7, §1-§3.1) and the listings of §4",
    chapter=CHAPTER,
)
def _figure_empty() -> Finding:
    return by_reference(
        False, "the paper numbers Figures 1 to 7, all before §4; the reference is empty"
    )


@claim(
    "slides-cifar-slide-repeated",
    document="slides",
    where="'CNN for CIFAR-10 Color Image Classification'",
    stated="the slide 'CNN for CIFAR-10 Color Image Classification' appears twice in a row, with "
    "the same two parameter sums (19,392 and 525,706, total 545,098)",
    verdict="editorial",
    correct="one slide: the second copy repeats the first without its accuracy figures (78%, "
    "'above 97%' for the state of the art)",
    reference="the slides themselves: the two consecutive slides of that title",
    chapter=CHAPTER,
)
def _cifar_repeated() -> Finding:
    return by_reference(
        False, "two consecutive slides of one title and the same sums; only the first has results"
    )


@claim(
    "slides-parameter-sharing-title",
    document="slides",
    where="'Why CNN Architecture Work'",
    stated="the third of the slide's reasons is titled 'Parameter Sharing' again, over 'Simple "
    "patterns (edges) combine to form complex objects (faces) as the network deepens'",
    verdict="editorial",
    correct="a repeated title: the text describes hierarchical feature learning, as the slide "
    "'Comparing MLP and CNN for Image Classification' names it ('Hierarchical feature learning - "
    "Learns from low-level to high-level'); parameter sharing is the second reason",
    reference="the slides themselves: 'Why CNN Architecture Work' and 'Comparing MLP and CNN for "
    "Image Classification'",
    chapter=CHAPTER,
)
def _sharing_title() -> Finding:
    return by_reference(
        False,
        "the title 'Parameter Sharing' heads two different reasons; the second's text is what the "
        "slides call hierarchical feature learning",
    )
