"""The five source documents: their titles, their outlines, and where a citation points in them.

A claim cites its place in a source in words (``where``: "§3.5.1 eq. 60-61", "'Valid Padding
Example'"). :func:`sections_of` turns such a citation into the units of the source's outline that it
names, so that the ledger can say which share of each source it covers. The outlines list every
unit of text that carries content: numbered sections (a parent counts as a unit only when it has
text of its own before its first subsection), the slides' content slides by title, and the blog's
headed parts. Figure-only slides (an animation, a video link) are left out.
"""

from __future__ import annotations

import re
import unicodedata

#: The source documents, by the short key used in citations.
SOURCES: dict[str, str] = {
    "thesis": "Bachelor's thesis on neural networks and convolutional neural networks for image "
    "recognition",
    "paper": "Paper on the mechanics of convolutional neural networks, with a from-scratch NumPy "
    "CNN",
    "guide": "A gentle guide to convolutional neural networks",
    "slides": "Lecture slides on convolutional neural networks (EE4016, City University of "
    "Hong Kong)",
    "blog": "Blog tutorial on the layers of convolutional neural networks",
}

#: Each source's units, in reading order: key -> title. Numbered documents use section numbers.
OUTLINES: dict[str, dict[str, str]] = {
    "thesis": {
        "abstract": "Abstract",
        "1": "Introduction",
        "2.1.1": "Neuron",
        "2.1.2": "Perceptron",
        "2.1.3": "Architecture",
        "2.2": "Activation functions",
        "2.2.1": "Sigmoid",
        "2.2.2": "ReLU",
        "2.2.3": "LReLU",
        "2.2.4": "PReLU",
        "2.2.5": "ELU",
        "2.2.6": "Softmax",
        "2.3.1": "Regression",
        "2.3.2": "Binary classification",
        "2.3.3": "Multiclass classification",
        "2.4": "Forward propagation",
        "2.5.1": "Weights and biases",
        "2.6": "Backpropagation",
        "2.6.1": "AdaGrad",
        "2.6.2": "RMSProp",
        "2.6.3": "Adam",
        "3": "Convolutional neural networks",
        "3.1": "Architecture",
        "3.2.1": "Convolutional layer",
        "3.2.2": "Pooling",
        "3.2.3": "Batch normalization",
        "3.2.4": "Dropout",
        "3.3": "Parameters",
        "3.4": "Forward computation",
        "3.5.1": "Backpropagation in a convolutional layer",
        "3.5.2": "Backpropagation in a pooling layer",
        "3.6.1": "LeNet-5",
        "3.6.2": "AlexNet",
        "4.1": "TensorFlow library",
        "4.2": "Keras library",
        "5.1": "CIFAR-10",
        "5.1.1": "CIFAR-10 with an ANN",
        "5.1.2": "CIFAR-10 with a CNN",
        "5.2": "Fashion-MNIST",
        "5.2.1": "Fashion-MNIST with an ANN",
        "5.2.2": "Fashion-MNIST with a CNN",
        "5.3": "Summary",
        "6": "Conclusions",
    },
    "paper": {
        "1": "Machine learning concepts",
        "1.1": "Training a neural network with a cost function",
        "1.2": "Optimization",
        "1.3": "Forward and backward propagation",
        "2": "Layers of convolutional neural networks: terminology and notation",
        "2.1": "Fully-connected layer",
        "2.2": "Convolutional layer",
        "2.2.1": "The stride",
        "2.2.2": "Zero padding",
        "2.3": "The convolutional neuron",
        "2.4": "The convolutional layer",
        "2.4.1": "Multiple channels",
        "2.4.2": "Where is the convolution?",
        "2.5": "Downsampling layer",
        "2.6": "The activation function",
        "2.7": "Output layer",
        "3": "Python implementation",
        "3.1": "Convolution function",
        "3.2": "Max pooling",
        "3.3": "Various functions",
        "4": "Batch optimization",
        "5": "Results",
    },
    "guide": {
        "1": "Overview of neural network",
        "2": "The challenge of working with images",
        "3": "Convolutional neural network",
        "3.1": "Feature learning layer",
        "3.2": "Classification layer",
        "4": "LeNet-5",
        "5": "AlexNet",
        "6": "Convolutional autoencoder",
        "7": "Code implementation of basic CNN architecture",
        "7.1": "LeNet-5 (implementation)",
        "7.2": "Layer-by-layer breakdown of modified LeNet-5",
    },
    "slides": {
        t: t
        for t in (
            "MLPs for Simple Regression and Classification",
            "MLPs for Grayscale Image Classifications",
            "The Shortcomings of MLPs for Image Data",
            "MLPs for CIFAR-10 Color Image Classification",
            "Convolutional Neural Network for CIFAR-10 Image Classification",
            "Comparing MLP and CNN for Image Classification",
            "Recap: Network Architecture & Inductive Bias",
            "Data Types and Neural Network Architectures",
            "Hubel and Wiesel's Experiments (1950s)",
            "The First Blueprint: The Neocognitron (1980)",
            "Introduction of CNNs (1989)",
            "LeNet-5 (1998)",
            "The Convergence: Igniting the Golden Era (2010s)",
            "The Game Changer: AlexNet (2012)",
            "The Explosion of Depth",
            "Foundations in Signal Processing",
            "The Crucial Difference: Flipping",
            "The 2D Convolution Operation",
            "2D Filter Convolution",
            "The Role of Filters: Feature Detection",
            "Filters Define the Features",
            "Convolution with 3D Kernel",
            "Activation Layer: ReLU",
            "Convolutional Layers",
            "Multiple Filters: Stacking the Feature Maps",
            "Convolution: Hyperparameters",
            "Preserving Geometry with Padding (P)",
            "Valid Padding Example",
            "Same Padding Example",
            "Padding: Preserving Spatial Information",
            "Stride (S): Controlling Output Size",
            "Depth of the Output",
            "Pooling Layer: Downsampling for Efficiency",
            "CNN Pooling => Translation Invariant?",
            "Summary: How Convolutional Layers Work",
            "The MLP Head: From Features to Decisions",
            "Implementation of CNNs",
            "Case Study: The LeNet-5 Architecture",
            "Simplified LeNet-5 for 28x28 MNIST Dataset",
            "LeNet-5 for Fashion MNIST Dataset",
            "CNN for CIFAR-10 Color Image Classification",
            "CNN Exercise",
            "Why CNN Architecture Work",
            "Backpropagation in CNNs",
            "Quantifying Error: The Loss Function",
            "Propagating Error: The Chain Rule",
            "Gradients in Convolutional Layers",
            "Routing Gradients: Non-Linearities",
            "Backpropagation Pooling Layers",
            "The Weight Update",
            "Batch Normalization & Dropout",
            "Tricks for improving CNN Trainings",
            "Interesting Property of CNNs",
        )
    },
    "blog": {
        t: t
        for t in (
            "Introduction",
            "Layers of a ConvNet",
            "Feature images",
            "Convolutional layer",
            "Stride",
            "Padding",
            "Output size",
            "Activation layer",
            "Pooling layer",
            "Fully connected layer",
            "Output layer",
            "Architectures",
        )
    },
}

#: Other names under which a citation may point to a unit without quoting its title.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "slides": {
        "MLPs for Simple Regression and Classification": ("boston", "iris"),
        "MLPs for Grayscale Image Classifications": ("mlps for grayscale",),
        "Simplified LeNet-5 for 28x28 MNIST Dataset": ("simplified lenet",),
        "The Game Changer: AlexNet (2012)": ("alexnet (2012)",),
        "Case Study: The LeNet-5 Architecture": ("lenet-5 case study",),
        "CNN for CIFAR-10 Color Image Classification": ("cifar-10 cnn",),
        "Routing Gradients: Non-Linearities": ("routing gradients",),
    },
    "blog": {"Architectures": ("le-net architecture (1998)", "lenet (1998)")},
}

#: Equation number -> the section that holds it, for citations that name only an equation.
EQUATIONS: dict[str, dict[int, str]] = {
    "thesis": {
        n: s
        for s, ns in {
            "2.1.2": range(1, 9),
            "2.1.3": range(9, 11),
            "2.2.1": range(11, 13),
            "2.2.2": range(13, 15),
            "2.2.3": range(15, 18),
            "2.2.4": range(18, 19),
            "2.2.5": range(19, 21),
            "2.2.6": range(21, 26),
            "2.3.1": range(26, 28),
            "2.3.2": range(28, 30),
            "2.3.3": range(30, 32),
            "2.4": range(32, 38),
            "2.6": range(38, 45),
            "2.6.1": range(45, 50),
            "2.6.2": range(50, 52),
            "2.6.3": range(52, 57),
            "3.2.3": range(57, 59),
            "3.4": range(59, 60),
            "3.5.1": range(60, 72),
            "3.5.2": range(72, 80),
        }.items()
        for n in ns
    },
    "paper": {
        n: s
        for s, ns in {
            "2.1": range(1, 6),
            "2.2.1": range(6, 7),
            "2.2.2": range(7, 14),
            "2.4": range(14, 22),
            "2.4.1": range(22, 23),
            "2.4.2": range(23, 28),
            "2.5": range(28, 31),
            "2.6": range(31, 35),
            "2.7": range(35, 37),
        }.items()
        for n in ns
    },
}

_SECTION = re.compile(r"§\s*(\d+(?:\.\d+)*)(?:\s*[-–]\s*(\d+(?:\.\d+)*))?")
_EQUATION = re.compile(r"\beqs?\.\s*(\d+)(?:\s*[-–]\s*(\d+))?")
_ABSTRACT = re.compile(r"\babstract\b", re.IGNORECASE)


def _normalize(text: str) -> str:
    """Lower case, '×' as 'x', punctuation dropped, spaces collapsed: for matching titles."""
    text = unicodedata.normalize("NFKC", text).replace("×", "x").lower()
    return " " + " ".join(re.sub(r"[^a-z0-9()&=>?+-]+", " ", text).split()) + " "


def _numbered_units(document: str, where: str) -> list[str]:
    keys = list(OUTLINES[document])
    found: list[str] = []
    for start, end in _SECTION.findall(where):
        if end:  # a range of sections, in reading order
            lo = [i for i, k in enumerate(keys) if k == start or k.startswith(start + ".")]
            hi = [i for i, k in enumerate(keys) if k == end or k.startswith(end + ".")]
            if lo and hi:
                found += keys[min(lo) : max(hi) + 1]
            continue
        if start in OUTLINES[document]:
            found.append(start)
        else:  # a parent without text of its own: its subsections
            found += [k for k in keys if k.startswith(start + ".")]
    for first, last in _EQUATION.findall(where):
        for n in range(int(first), int(last or first) + 1):
            if n in EQUATIONS.get(document, {}):
                found.append(EQUATIONS[document][n])
    if document == "thesis" and _ABSTRACT.search(where):
        found.append("abstract")
    return found


def _titled_units(document: str, where: str) -> list[str]:
    text = _normalize(where)
    aliases = ALIASES.get(document, {})
    matched = {}
    for key, title in OUTLINES[document].items():
        names = (title, *aliases.get(key, ()))
        hits = [_normalize(n).strip() for n in names if _normalize(n).strip() in text]
        if hits:
            matched[key] = max(hits, key=len)
    # a title that is part of a longer matched title ("Pooling Layer" in "Backpropagation Pooling
    # Layers") is not meant by itself
    return [
        k for k, hit in matched.items() if not any(hit != h and hit in h for h in matched.values())
    ]


def sections_of(document: str, where: str) -> tuple[str, ...]:
    """The units of ``document``'s outline that the citation ``where`` names, in reading order."""
    if document not in OUTLINES:
        raise KeyError(f"unknown document {document!r}; expected one of {sorted(OUTLINES)}")
    if document in ("thesis", "paper", "guide"):
        found = set(_numbered_units(document, where))
    else:
        found = set(_titled_units(document, where))
    return tuple(k for k in OUTLINES[document] if k in found)
