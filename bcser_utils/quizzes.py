"""Each notebook's learning objectives and quiz: the bank, and the two Markdown cells made from it.

A notebook opens with a box of what "you will be able to" do after it, and has a quiz just before
its exercises: a few multiple-choice questions whose options open one by one, each saying why it
is right or wrong. Both cells are plain Markdown and HTML (``<details>``, no JavaScript), so they
work alike in JupyterLab, Colab, GitHub's view and the static site.

``BANK`` below is the source of truth. ``python -m bcser_utils.quizzes --write`` puts its two cells
into every notebook (inserting or updating them, and changing nothing else), ``python -m
bcser_utils.quizzes`` says which notebooks are out of date, and tests/test_quizzes.py checks that
the notebooks hold exactly what the bank renders. The questions ask about ideas and about numbers
fixed by the paper or the config, never about a number that depends on the run (mode, seed).
"""

import argparse
import contextlib
import html
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from bcser_utils import files

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
OBJECTIVES_HEADING = "> **You will be able to**"
QUIZ_HEADING = "## Quiz"
QUIZ_INTRO = ("Choose the answer you believe, then click it: each option opens to say whether it "
              "is right and why. Open the others too: the wrong ones are mistakes people really "
              "make.")
# the cells' ids: fixed, so that writing them twice gives the same notebook
CELL_IDS = {OBJECTIVES_HEADING: "learning-objectives", QUIZ_HEADING: "quiz"}
# the quiz goes just before the first line of the exercises (a heading of its own or an exercise's)
_EXERCISES = re.compile(r"^(## Exercises|### Exercise)\b")


@dataclass(frozen=True)
class Option:
    """One answer to a question: its text, whether it is the right one, and why."""

    text: str
    right: bool
    why: str


@dataclass(frozen=True)
class Question:
    """A multiple-choice question: exactly one of its options is right."""

    text: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Unit:
    """One notebook's objectives (each completes "You will be able to …") and quiz."""

    objectives: tuple[str, ...]
    questions: tuple[Question, ...]


def _right(text: str, why: str) -> Option:
    return Option(text, True, why)


def _wrong(text: str, why: str) -> Option:
    return Option(text, False, why)


def _q(text: str, *options: Option) -> Question:
    return Question(text, options)


BANK: dict[str, Unit] = {
    "01_dataset_exploration": Unit(
        objectives=(
            "decode a RAVDESS file name (modality, channel, emotion, intensity, statement, "
            "repetition, actor) and tell which names cannot exist, such as a strong neutral;",
            "explain why neutral has half as many files as every other emotion, and compute its "
            "\"balanced\" class weight, n / (K · count);",
            "explain why two byte-identical recordings must stay on the same side of every split;",
            "check a copy of the corpus for missing actors, stereo files and duplicates with "
            "`ravdess.validate`.",
        ),
        questions=(
            _q("Why can there be no RAVDESS file named `03-01-01-02-01-01-01.wav`?",
               _wrong("Modality 03 is the song corpus, which the speech catalog leaves out.",
                      "Modality 03 means audio-only. Speech and song are told apart by the vocal "
                      "channel, the second code (01 = speech)."),
               _wrong("Actor 01 recorded no neutral clips, so no such name exists.",
                      "Every actor recorded 4 neutral clips. The last code is the actor, and "
                      "nothing is wrong with it here."),
               _right("It would be a strong neutral, and neutral has no strong intensity.",
                      "The codes are modality-channel-emotion-intensity-statement-repetition-"
                      "actor: emotion 01 is neutral, intensity 02 is strong, so "
                      "`names.parse_name` refuses it."),
               ),
            _q("Why does neutral have half as many files as each other emotion?",
               _right("Neutral was recorded at normal intensity only, never at strong.",
                      "Every other emotion has a normal and a strong version: 2 statements × 2 "
                      "repetitions × 2 intensities = 8 files per actor, against 4 for neutral."),
               _wrong("Half of the neutral takes failed the quality check and were removed.",
                      "Nothing was removed: the catalog holds exactly what the design predicts, "
                      "and `ravdess.validate` finds no missing files for the actors present."),
               _wrong("The actors said each neutral statement once, not twice as for the others.",
                      "Neutral has two repetitions of each statement, like every emotion. What it "
                      "lacks is the second intensity."),
               ),
            _q("The \"balanced\" class weights give neutral about twice the weight of calm. What "
               "does that do during training?",
               _right("An error on a neutral clip costs about twice as much in the loss.",
                      "Half as many clips at twice the weight: neutral counts as much in total as "
                      "each other emotion, so the model cannot win by neglecting it."),
               _wrong("Every neutral file is copied once more, so neutral has as many clips as "
                      "calm.",
                      "No data is copied or added; only the loss of each neutral clip is scaled."),
               _wrong("The model learns to predict neutral about twice as often as calm.",
                      "The weights change what an error costs, not how often a class is "
                      "predicted; they make up for fewer examples, they do not favour neutral."),
               ),
            _q("Two files of Actor_07 are byte-identical. Why does every split of the course keep "
               "them together?",
               _wrong("Feature extraction fails when it meets the same audio twice in one split.",
                      "Nothing fails: identical files are processed like any others. The problem "
                      "is what a score would mean."),
               _wrong("They are stereo, and the loader has to mix them to mono together.",
                      "The five stereo files are a different quirk, handled by the loader one "
                      "file at a time; the duplicate pair is about leakage."),
               _right("Otherwise the model could be tested on a recording it was trained on.",
                      "A test clip must be new to the model; a duplicate on both sides flatters "
                      "the score, so both copies share a `duplicate_group`."),
               ),
        ),
    ),
    "02_bc_filter_design": Unit(
        objectives=(
            "turn the filter y[n] = β·x[n] + α·y[n−1] into H(z) = β / (1 − αz⁻¹) and place its "
            "pole and zero;",
            "compute the filter's cut-off (3 dB below its DC gain) at a given sample rate, and "
            "tell it apart from the point where the gain reaches an absolute −3 dB;",
            "explain why the same α and β run on 16 kHz audio are a different filter, and how "
            "`bc.to_bc` avoids that mistake;",
            "predict what moving the pole (α) and changing β do to the sound;",
            "explain why a fixed linear filter adds no information to a recording, only reweights "
            "its frequencies.",
        ),
        questions=(
            _q("Where are the pole and the zero of the paper's filter, "
               "y[n] = 0.205·x[n] + 0.755·y[n−1]?",
               _wrong("A pole at z = 0.205 and a zero at z = 0.755.",
                      "β = 0.205 only scales the output: it sits in the numerator. The feedback "
                      "coefficient α is what makes the pole."),
               _wrong("A pole at z = −0.755 and a zero at z = 0.",
                      "1 − αz⁻¹ is zero at z = +α. A pole at −0.755 would boost the frequencies "
                      "near Nyquist: a high-pass."),
               _wrong("Two poles, at z = 0.755 and at z = 0.205.",
                      "A first-order filter has one pole: each output depends on one previous "
                      "output only. β is a gain, not a root."),
               _right("A pole at z = 0.755 and a zero at z = 0.",
                      "H(z) = βz / (z − α): the denominator vanishes at z = α and the numerator at "
                      "z = 0. A pole on the positive real axis near 1 makes a low-pass."),
               ),
            _q("You load a clip at 16 kHz and run `scipy.signal.lfilter([0.205], [1, -0.755], x)` "
               "on it. What have you applied?",
               _wrong("The paper's filter: α and β are the paper's, whatever the audio's rate.",
                      "Coefficients describe a filter only together with a sample rate. The course "
                      "defines them at 48 kHz, and this is not that filter."),
               _wrong("A low-pass with a cut-off three times higher, about 6.5 kHz.",
                      "The cut-off is a fixed angle, 0.283 rad per sample; at a lower sample rate "
                      "that angle is fewer hertz, not more."),
               _right("A low-pass at about 0.72 kHz instead of 2.16 kHz.",
                      "The sample rate enters only through ω = 2πf / fs, so the same numbers at a "
                      "third of the rate cut at a third of the frequency. `bc.to_bc` resamples to "
                      "48 kHz, filters and resamples back."),
               _wrong("The paper's filter, only computed three times faster.",
                      "Fewer samples do make it cheaper, but each sample now spans three times "
                      "longer, so the same α and β shape a different response."),
               ),
            _q("At 48 kHz the notebook quotes two \"−3 dB\" frequencies, 2.16 kHz and 1.36 kHz. "
               "Why two?",
               _wrong("One is the filter at 48 kHz, the other the same coefficients run at 16 kHz.",
                      "Both are at 48 kHz. Run at 16 kHz, the same coefficients cut at 0.72 kHz."),
               _right("One is 3 dB below the gain at DC, the other 3 dB below 0 dB.",
                      "The cut-off (2.16 kHz) is 3 dB below the DC gain; that gain is already "
                      "−1.55 dB, so the gain crosses an absolute −3 dB earlier (1.36 kHz). When a "
                      "table says \"−3 dB point\", check which it means."),
               _wrong("One is read from the magnitude response, the other from the phase.",
                      "Both read the magnitude response; a phase has no −3 dB point."),
               ),
            _q("In the designer you move α from 0.755 towards 1 and keep β. What happens?",
               _wrong("The cut-off rises, and the sound gets brighter.",
                      "A pole nearer z = 1 raises the low frequencies' gain relative to the high "
                      "ones: the pass band narrows."),
               _wrong("Only the loudness changes; the colour of the sound stays.",
                      "That is β: it scales every frequency alike. α sets the shape of the curve."),
               _right("The cut-off falls, and the sound gets darker.",
                      "The gain is β divided by the distance from the pole; a pole near z = 1 "
                      "leaves a high peak at DC that falls off quickly with frequency: a more "
                      "muffled sound."),
               ),
            _q("Why does a clip's synthetic BC version hold no information that its air-conducted "
               "(AC) original lacks?",
               _right("It is one fixed linear filter: the same gain per frequency for every clip.",
                      "Every spectrum is multiplied by the same |H(f)|², in decibels the same "
                      "offset at each frequency: the BC − AC difference of the long-term spectra "
                      "is the filter's own curve, whatever the emotion."),
               _wrong("It removes everything above 1 kHz, so it can only hold less.",
                      "A first-order filter falls by at most 6 dB per octave: it damps the high "
                      "frequencies, it keeps a third to two fifths of their energy."),
               _wrong("It does hold more: it adds the low frequencies carried by the skull.",
                      "A real bone-conduction microphone hears the skull; a filter applied to an "
                      "air microphone's recording can only reshape what that microphone heard."),
               ),
        ),
    ),
    "03_augmentation_gallery": Unit(
        objectives=(
            "work out from Table III's 4,320 validation clips that every recording became 15 "
            "versions (1,440 × 15 × 20% = 4,320);",
            "explain why 15 versions of one recording are not 15 recordings, and why augmenting "
            "before splitting leaks;",
            "tell pitch shift from VTLP, and time stretch from speed perturbation, by what each "
            "does to the harmonics and the formants;",
            "explain why polarity inversion changes nothing in a log-mel feature and a volume "
            "change only adds a constant;",
            "explain why augmenting every recording equally leaves the class imbalance as it was.",
        ),
        questions=(
            _q("Table III reports 4,320 validation clips, 20% of the data, and RAVDESS has 1,440 "
               "recordings. What does that imply?",
               _right("21,600 clips in all: 15 versions of each recording.",
                      "4,320 / 0.2 = 21,600 = 1,440 × 15, which the course reads as the original, "
                      "the 12 single transforms and 2 random chains."),
               _wrong("3 versions of each recording, since 4,320 / 1,440 = 3.",
                      "That forgets the 20%: the validation clips are a fifth of the data, so "
                      "there are 21,600 clips in all."),
               _wrong("4,320 recordings: the authors recorded more actors.",
                      "RAVDESS speech has 1,440 recordings and the paper names no other corpus; "
                      "the extra clips have to be versions of them."),
               ),
            _q("Under \"augment, then split 80:20 at random\", why is the validation score "
               "flattered?",
               _wrong("It is not: each augmented version is new data, as good as a new recording.",
                      "A version is the same actor saying the same sentence in the same take, "
                      "only transformed; some versions are even identical for the model."),
               _wrong("Only because a few versions are bit-identical to their originals.",
                      "Identical twins make it worse, but a near-copy leaks too: the same voice, "
                      "words and take are on both sides of the split."),
               _right("Most validation clips have near-copies of themselves in training.",
                      "A validation clip's 14 siblings are versions of the same take, and about "
                      "11 of them are in training; most transforms leave a clip closer to its "
                      "original than the actor's own second take."),
               ),
            _q("Pitch shift and VTLP both \"change the voice\". How do they differ?",
               _right("Pitch shift moves harmonics and formants; VTLP moves only the formants.",
                      "VTLP imitates a different vocal tract with the same vocal folds: the "
                      "envelope shifts by α, the harmonics, and so the pitch, stay."),
               _wrong("VTLP moves the pitch; pitch shift moves the formants and keeps the pitch.",
                      "It is the other way round: VTLP warps the spectral envelope (the formants) "
                      "and leaves F0 where it was."),
               _wrong("They are one transform under two names, from two different papers.",
                      "The gallery measures them apart: after VTLP the median F0 is unchanged; "
                      "after pitch shift it rises by 2 semitones."),
               ),
            _q("Polarity inversion multiplies every sample by −1. What does it change in the "
               "log-mel features the model sees?",
               _wrong("Every value changes sign, so the model sees a mirrored spectrogram.",
                      "A log-mel is the logarithm of a power, |X|², which the sign cannot change."),
               _wrong("The phase, which the model uses to tell emotions apart.",
                      "A log-mel keeps only the magnitude of the spectrum and discards the phase."),
               _right("Nothing: the features are bit-for-bit the original's.",
                      "For the model this version is a duplicate of the original, the plainest "
                      "case of a leak when versions are split at random."),
               ),
            _q("Every recording gets 15 versions. What happens to neutral's half share of the "
               "data?",
               _wrong("It disappears: with 15 versions there is plenty of data in every class.",
                      "More data in every class leaves the ratio of the classes as it was."),
               _wrong("It grows, because the shorter neutral clips yield fewer versions.",
                      "Every recording gets the same number of versions, whatever its length."),
               _right("Nothing: every class is multiplied by 15, so the 2 : 1 ratio stays.",
                      "Augmenting every recording alike changes the counts, not the proportions; "
                      "the class weights are still needed."),
               ),
        ),
    ),
    "04_features": Unit(
        objectives=(
            "compute T, the number of frames of a clip, from its length, sample rate and hop "
            "(T = 1 + 64,000 / 320 = 201);",
            "explain the fixed-length policy: a centre crop for longer clips, symmetric zero "
            "padding for shorter ones, both on the 16 kHz waveform;",
            "explain why the normalisation statistics are fitted on the training side only, even "
            "though they use no label;",
            "say what a feature cache's key must cover, and why a changed setting must never reuse "
            "an old cache;",
            "explain which features survive the BC filter (pitch) and which do not (the "
            "zero-crossing rate, the bands above 2 kHz).",
        ),
        questions=(
            _q("Every clip is 4 s at 16 kHz (64,000 samples), with centred frames every 320 "
               "samples (20 ms). How many frames does it get?",
               _wrong("200: 4 s cut into hops of 20 ms.",
                      "That misses one frame: centred frames sit on t = 0 and on t = 4 s, so "
                      "T = 1 + 64,000 / 320."),
               _wrong("125: 4 s cut into windows of 32 ms.",
                      "Frames overlap: they are counted by the hop between them, not by their "
                      "length."),
               _right("201: one more than 4 s cut into hops of 20 ms.",
                      "1 + 64,000 / 320 = 201, the first frame centred on t = 0 s and the last on "
                      "t = 4 s."),
               ),
            _q("A clip longer than 4 s keeps its centre. Why is that a safe cut for RAVDESS?",
               _wrong("Emotion is expressed mostly in the middle of a sentence.",
                      "Emotion colours the whole sentence; the centre is kept because that is "
                      "where the speech is."),
               _right("The sentence sits in the middle, so the cut is mostly silence.",
                      "Each recording has about a second of silence on either side of the "
                      "sentence. The policy acts on the waveform, before any feature, so every "
                      "feature kind sees the same 4 s."),
               _wrong("It is not safe: the last words of every sentence are lost.",
                      "RAVDESS clips last 2.9 to 5.3 s, and the speech rarely fills more than the "
                      "central few seconds."),
               ),
            _q("Why is the standardiser (a mean and a standard deviation per feature column) "
               "fitted on the training clips only?",
               _right("Otherwise the test speakers' own statistics leak into the model.",
                      "A model must meet new speakers with statistics learned from others, as it "
                      "will in use; the same scaler is saved with the model for `predict`."),
               _wrong("It does not matter where it is fitted, since it uses no label.",
                      "A leak is any information about the test data that shapes the model; the "
                      "test speakers' statistics are such information."),
               _wrong("The test set is too small to estimate a mean and a spread reliably.",
                      "Size is not the reason: even a large test set must not shape the model it "
                      "is meant to test."),
               ),
            _q("You change the BC filter's α and run the notebooks again. Why is the old feature "
               "cache not reused?",
               _wrong("The cache expired: caches are rebuilt after a day.",
                      "There is no expiry; the key changes because a setting that shapes the "
                      "tensors changed."),
               _right("α is part of the cache's key, so a new α means a new cache.",
                      "The key is a hash of everything that shapes the tensors. A cache is safe "
                      "only if a changed setting can never reuse it: otherwise old features "
                      "would be read silently under new settings."),
               _wrong("It is reused: only the augmentation settings are in the key.",
                      "The key holds the filter, every augmentation and feature setting, the "
                      "signal, the seed, the package version and the recordings themselves."),
               ),
            _q("Which feature changes least, relative to how it differs between emotions, when "
               "the BC filter is applied?",
               _wrong("The zero-crossing rate.",
                      "It changes most: the filter removes the high frequencies that make "
                      "fricatives cross zero often."),
               _wrong("The log-mel bands above 2 kHz.",
                      "They lose 4–12 dB, more than emotion moves them."),
               _right("The pitch, F0.",
                      "F0 lies far below the filter's 2.16 kHz cut-off, so BC moves it much less "
                      "than it differs between emotions."),
               ),
        ),
    ),
    "05_model_build": Unit(
        objectives=(
            "follow a (201, 64) log-mel tensor through the network and give the shape after each "
            "block: 51 steps of 80 ms, 64 numbers per step, one 64-number summary, 8 logits;",
            "explain what attention pooling does, and how it differs from a plain mean and from "
            "self-attention;",
            "explain why the Transformer needs a positional encoding;",
            "explain why the convolutions hold few of the parameters but do much of the "
            "arithmetic.",
        ),
        questions=(
            _q("What does the attention-pooling block do?",
               _wrong("It lets every time step look at every other step.",
                      "That is the Transformer encoder's self-attention, which keeps 51 steps; "
                      "pooling turns them into one vector."),
               _wrong("It averages the 51 steps, each weighing 1/51, into one vector.",
                      "That would be a plain mean; the point of attention pooling is that its "
                      "weights are learned and depend on the input."),
               _right("It averages the 51 steps with weights learned from the clip.",
                      "A weighted mean whose weights depend on the input and sum to 1: unlike a "
                      "plain mean it can ignore silence and padding, and its weights show where "
                      "the model listened."),
               _wrong("It keeps only the step with the largest values.",
                      "That is max pooling; attention pooling blends all steps with its weights."),
               ),
            _q("Why does the Transformer need a positional encoding?",
               _right("Self-attention alone ignores the order of the steps.",
                      "It treats its input as a set: shuffle the steps and its outputs are "
                      "shuffled the same way. The added sines and cosines tell each step where it "
                      "is, so a rise at the end can be told from one at the start."),
               _wrong("To normalise each step's features before attention.",
                      "It normalises nothing: it adds a fixed pattern that depends only on the "
                      "position."),
               _wrong("To tell the model how many seconds long the clip is.",
                      "It marks each step's place in time; every clip has the same 51 steps "
                      "anyway."),
               ),
            _q("The two stride-2 convolution blocks turn 201 frames of 20 ms into how many steps?",
               _wrong("201 steps: a convolution keeps the length of its input.",
                      "A stride of 2 moves the kernel two frames at a time, which halves time (and "
                      "frequency)."),
               _right("51 steps of 80 ms: 201 → 101 → 51.",
                      "A stride-2 step starts at frames 0, 2, …, 200 (101 steps), then at 0, 2, "
                      "…, 100 of those (51); each final step stands for 4 frames."),
               _wrong("50 steps of 80 ms: 201 halved twice, rounded down.",
                      "201 is odd: with padding, the steps start at frames 0, 2, …, 200, which is "
                      "101, not 100; halved again, 51."),
               ),
            _q("The convolutions hold about 4% of the parameters but do about 40% of the "
               "arithmetic. Why?",
               _wrong("PyTorch computes convolutions less efficiently than matrix products.",
                      "The count is of floating-point operations, whatever the implementation; it "
                      "follows from the shapes."),
               _right("Each of their few weights is used at thousands of positions.",
                      "A 3 × 3 kernel is applied at 101 × 32, then 51 × 16, positions, while the "
                      "Transformer's many weights run on only 51 steps."),
               _wrong("The FLOP count includes the activations and norms after them.",
                      "Elementwise work such as activations and norms is not counted at all."),
               ),
        ),
    ),
    "06_training": Unit(
        objectives=(
            "explain why a random 80:20 split of the versions (P1) puts siblings of every "
            "validation clip in training;",
            "compute inverse-frequency class weights and say what they do to a neutral error;",
            "compute the floor label smoothing puts under the loss (0.467 nats for ε = 0.1 and 8 "
            "classes), and read a loss against it;",
            "explain which epoch's weights early stopping with patience 5 keeps, and why;",
            "explain why a run capped at a few epochs says little about the architecture.",
        ),
        questions=(
            _q("Under P1, with 15 versions per recording and 20% of them in validation, what is "
               "the chance that a validation clip has no sibling in training?",
               _wrong("About 20%, the share of clips that go to validation.",
                      "That is the chance for one sibling to land in validation. All 14 other "
                      "versions would have to."),
               _right("0.2¹⁴, practically zero.",
                      "Each of the 14 siblings is in validation with chance 0.2, so all of them "
                      "are with 0.2¹⁴ ≈ 1.6 × 10⁻¹⁰: every validation clip has siblings in "
                      "training."),
               _wrong("Zero only if the split is not stratified by emotion.",
                      "Stratifying keeps each emotion's share; it does nothing to keep a "
                      "recording's versions together."),
               ),
            _q("With label smoothing ε = 0.1 and 8 classes, what is the target probability of "
               "the true class?",
               _right("0.9125: 1 − ε + ε / 8.",
                      "Each other class gets ε / 8 = 0.0125. The target is no longer one-hot, so "
                      "the best possible loss is no longer zero."),
               _wrong("0.9: 1 − ε, the smoothing mass taken away.",
                      "The smoothing mass ε is spread over all 8 classes, the true one included, "
                      "which gets ε / 8 back."),
               _wrong("1: smoothing changes the learning rate, not the targets.",
                      "Smoothing changes the targets; the optimiser is untouched."),
               ),
            _q("The paper reports a validation loss of 0.60 with ε = 0.1. Is that a poor fit?",
               _wrong("Yes: a good classifier's cross-entropy is close to 0.",
                      "That holds for one-hot targets. With smoothing even a perfect model "
                      "scores the target's entropy."),
               _right("No: no model can go below 0.467 here, so 0.60 is near the best.",
                      "It is about 0.14 above the floor. Read a smoothed loss against its floor, "
                      "not against zero (the floor is a little higher still with class weights, "
                      "as PyTorch applies them)."),
               _wrong("Yes: it is close to ln 2, where the true class would get only a half.",
                      "Against smoothed targets the loss is not −ln of the true class's "
                      "probability alone; 0.60 corresponds to about 70% on the true class."),
               ),
            _q("Early stopping (patience 5) ended the paper's training at epoch 22. Which weights "
               "does the model keep?",
               _right("Those of epoch 17, which had the lowest validation loss.",
                      "Training stops after 5 epochs without a new lowest value and restores the "
                      "best epoch's weights."),
               _wrong("Those of epoch 22, the last one trained before it stopped.",
                      "The last five epochs brought no new lowest validation loss; their weights "
                      "are not the best seen."),
               _wrong("Those of the epoch with the highest training accuracy.",
                      "Early stopping watches the validation loss; training accuracy keeps rising "
                      "as a model overfits."),
               ),
            _q("Under P1 the validation accuracy follows the training accuracy and can even "
               "exceed it. Why?",
               _wrong("The model generalises perfectly, even to new speakers.",
                      "P1 validates on the same actors and the same recordings; it cannot say "
                      "anything about new speakers."),
               _wrong("The validation set happened, by chance, to be easy.",
                      "It is not luck: it follows from how P1 splits, on every seed."),
               _right("Its validation clips are near-copies of training clips.",
                      "They are siblings of training clips; and training accuracy is measured "
                      "with dropout on, while the weights still change. The paper too reports "
                      "validation above training accuracy."),
               ),
        ),
    ),
    "07_evaluation": Unit(
        objectives=(
            "explain accuracy, balanced accuracy and MCC, and which of them an imbalanced test set "
            "can inflate;",
            "read a bootstrap confidence interval, and explain why resampling whole actors gives a "
            "wider and more honest one than resampling clips;",
            "read a confusion matrix and a reliability diagram, and say whether a model is over- "
            "or under-confident;",
            "explain what an AUC of exactly 1.0 demands of every misclassified clip;",
            "check whether a set of reported numbers (accuracy, AUC, log loss, validation loss) "
            "can describe one model.",
        ),
        questions=(
            _q("Why report balanced accuracy beside accuracy?",
               _wrong("It weights each clip by how confident the model was.",
                      "Confidence plays no part; balanced accuracy averages the recalls of the "
                      "classes."),
               _right("It averages the recalls, so every emotion counts equally.",
                      "Neutral, with half the clips, counts as much as any other emotion: a model "
                      "that neglects the small class cannot hide behind the large ones."),
               _wrong("It is always higher than accuracy, and so looks fairer.",
                      "It can be lower or higher; with balanced classes and equal recalls the two "
                      "agree."),
               ),
            _q("Why does resampling whole actors give a wider bootstrap interval than resampling "
               "clips?",
               _right("One speaker's clips are not independent of each other.",
                      "Resampling clips treats 60 clips of one voice as 60 independent pieces of "
                      "evidence; redrawing actors shows how the score would move with other "
                      "speakers."),
               _wrong("It uses fewer bootstrap draws, so its interval is rougher.",
                      "Both use the same number of draws; what differs is the unit that is "
                      "redrawn."),
               _wrong("It is a mistake: only clips may be resampled in a bootstrap.",
                      "The resampled unit should be the independent one, and here that is the "
                      "speaker."),
               ),
            _q("What does an AUC of 1.0 for one emotion mean?",
               _wrong("Every clip of that emotion is classified correctly.",
                      "AUC measures ranking, not the decision: a clip can lose to another class "
                      "and still outrank every other clip on its own class."),
               _right("Its clips all score higher for it than any other clip does.",
                      "So with AUC = 1 for all classes, each error must be a near-tie, which is "
                      "not how a model with label smoothing behaves."),
               _wrong("The model does at least as well as chance on that emotion.",
                      "Chance is an AUC of 0.5; 1.0 is a perfect ranking."),
               ),
            _q("A model trained with label smoothing sits above the diagonal of its reliability "
               "diagram. What does that say?",
               _wrong("It is over-confident: it claims more than it delivers.",
                      "Above the diagonal, accuracy exceeds confidence: the model is right more "
                      "often than it claims."),
               _right("It is under-confident: it is right more often than it claims.",
                      "Of the clips it labels with, say, 60% confidence, more than 60% are right; "
                      "smoothing trains towards 0.9125, not 1, which holds confidence down."),
               _wrong("Most of its predictions are wrong, whatever their confidence.",
                      "Calibration is about how far confidence can be taken at its word, not "
                      "about whether the top class is right."),
               ),
            _q("Two models differ by 2 points of accuracy on a validation set whose 95% interval "
               "spans about ±5 points. What can you conclude?",
               _wrong("The better one is 2 points better, as measured.",
                      "A single number hides how much it would move on another sample of clips; "
                      "2 points are well inside that."),
               _wrong("They are equally good, since the intervals overlap.",
                      "Overlapping intervals do not prove equality either: the data cannot tell "
                      "them apart."),
               _right("Not much: the difference needs its own, paired interval.",
                      "Scored on the same bootstrap draws (notebook 08), what the two models share "
                      "cancels and the interval of the difference narrows."),
               ),
        ),
    ),
    "08_beyond_the_paper": Unit(
        objectives=(
            "explain what P1, P2 and P3 hold out (versions, recordings, actors), and what each "
            "lets training hear;",
            "explain why only P3 measures recognition of a voice the model has never heard;",
            "explain why the early-stopping actors are kept apart from the test actors;",
            "compare two models on the same clips with a paired interval, and say why it is "
            "narrower than two separate intervals;",
            "explain why a synthetic BC filter cannot make a model robust to noise the air "
            "microphone recorded, and why a sign that flips with the seed is not a finding.",
        ),
        questions=(
            _q("Which protocol tells how the model will do on a voice it has never heard?",
               _wrong("P1, because its validation clips were never trained on.",
                      "Each validation clip's sibling versions, and every actor, are in "
                      "training."),
               _wrong("P2, because no version of a validation recording is trained on.",
                      "P2 removes the siblings, but every validation actor was heard in training "
                      "in other recordings."),
               _right("P3, because whole actors are held out.",
                      "The test actors, and the early-stopping actors, are never trained on: "
                      "their voices are new to the model, which is what \"a new speaker\" "
                      "means."),
               ),
            _q("Why does P3 stop training on separate actors instead of on the test actors?",
               _right("Stopping on the test actors would tune on the test set.",
                      "The reported score would be the best of many looks, and flattered. P2, "
                      "like P1 and the paper, stops on the clips it reports; P3 alone keeps them "
                      "apart."),
               _wrong("To leave more clips for training the model.",
                      "Setting aside early-stopping actors leaves less data for training, not "
                      "more."),
               _wrong("Because the test actors' labels must stay hidden until the end.",
                      "The labels are there for scoring; the problem is choosing anything by the "
                      "clips you then report."),
               ),
            _q("Why is a paired interval of BC − AC narrower than two separate accuracy intervals "
               "suggest?",
               _wrong("The paired interval is computed on more clips.",
                      "Both models are scored on the same test clips; there are no more of them."),
               _wrong("The paired interval is a 90% interval, not a 95% one.",
                      "Both are 95% intervals; the narrowing comes from pairing."),
               _right("Which clips are hard is shared, and cancels in the difference.",
                      "Each bootstrap draw scores both models on the same clips. Separate "
                      "intervals add both models' sampling noise; the paired one keeps only where "
                      "their answers differ."),
               ),
            _q("Noise gets into the air microphone, then the BC filter is applied. Can synthetic "
               "BC make the model robust to that noise?",
               _wrong("Yes: it removes the high frequencies, where most of the noise is.",
                      "It damps speech there too: the signal-to-noise ratio of every band stays "
                      "what the microphone recorded."),
               _right("No: it scales speech and noise alike in every band.",
                      "A linear filter applied after the noise cannot separate the two. A real "
                      "bone-conduction sensor is robust because it never picks up airborne "
                      "sound; a filtered air recording has no such property."),
               _wrong("Yes: BC speech is what a bone-conduction microphone would hear.",
                      "It imitates the colour of BC speech, not how the sensor picks up sound; "
                      "the noise is already in the recording."),
               ),
            _q("Suppose BC − AC has an interval that excludes zero with seed 0, and the sign "
               "flips with seeds 1 and 2. What do you report?",
               _wrong("That BC hurts, since seed 0's interval excludes zero.",
                      "That interval covers which clips or actors were drawn, not the seed's "
                      "augmentation draws, initial weights and batch order."),
               _wrong("That BC helps, since it does not lose with two seeds of three.",
                      "Counting wins over three noisy runs is no test; the intervals say the "
                      "difference is within what the seed decides."),
               _right("That these data cannot tell BC from AC.",
                      "A sign that flips with the seed is one run's draw, not a property of the "
                      "signal. Report the spread over seeds with each interval."),
               ),
        ),
    ),
    "09_towards_unseen_speakers": Unit(
        objectives=(
            "explain why a speaker's features are measured against that speaker's own mean and "
            "spread (z-scores per speaker), and compute them with a pandas groupby;",
            "explain why standardising each clip by its own frames removes the emotion along with "
            "the voice;",
            "explain why every choice (recipe, ensemble, fusion weight) is made on the "
            "early-stopping actors, and the test actors are looked at only afterwards;",
            "explain why per-band standardisation removes almost everything the BC filter does;",
            "use a classical baseline (eGeMAPS functionals and an SVM) as the number a deep model "
            "has to beat.",
        ),
        questions=(
            _q("Why standardise each speaker's features with that speaker's own mean and standard "
               "deviation?",
               _wrong("To adapt the model with the speaker's emotion labels.",
                      "No label is used: only the fact that the clips are one person's."),
               _right("Much of what tells voices apart is constant within one speaker.",
                      "Pitch range, loudness and microphone are the same in all of a speaker's "
                      "clips. A calm female voice is higher than an angry male one, but against "
                      "each speaker's own average, angry is higher than calm for both."),
               _wrong("To make every voice sound like the average training actor.",
                      "Nothing is resynthesised; each feature is rescaled against the speaker's "
                      "own statistics."),
               ),
            _q("Standardising each clip by its own frames (per utterance) cost accuracy. Why?",
               _right("A clip's own average is mostly its emotion.",
                      "An angry clip is loud and bright throughout, so subtracting its own mean "
                      "removes the cue. A speaker's mean over many emotions is the voice; one "
                      "clip's mean is the voice and that clip's emotion."),
               _wrong("One clip has too few frames to estimate a mean reliably.",
                      "It has 201 frames, plenty for a mean; the trouble is what that mean "
                      "holds."),
               _wrong("It leaks the clip's label into the model's input.",
                      "No label is involved; the statistics come from the clip's own audio."),
               ),
            _q("Why is the fusion weight w chosen on the early-stopping actors, never on the test "
               "actors, though choosing it retrains nothing?",
               _wrong("It need not be: choosing a weight fits nothing, so any actors would do.",
                      "Any choice made by looking at scores is a fit: the best of several looks "
                      "is flattered by chance on the clips it was chosen on."),
               _wrong("The test actors' labels are not known to the code.",
                      "They are known, and used for scoring; what must not happen is choosing by "
                      "them."),
               _right("Choosing by test scores makes the test part of the fitting.",
                      "The reported accuracy would no longer estimate new voices. The "
                      "early-stopping actors choose; the test actors, looked at afterwards, give "
                      "the estimate."),
               ),
            _q("Why does per-band standardisation remove almost everything the BC filter does?",
               _wrong("The filter acts only above 8 kHz, which the features never see.",
                      "The filter acts at every frequency, most above its 2.16 kHz cut-off, well "
                      "inside the features' 0–8 kHz."),
               _wrong("Standardisation divides out the filter's phase shift.",
                      "Log-mel features hold no phase to begin with; it is the offset in "
                      "magnitude that is removed."),
               _right("Within a band, the filter adds about the same offset to every frame.",
                      "A mel band is narrow, so the filter's gain is nearly constant across it: "
                      "in log power a constant, which subtracting the band's mean takes away. "
                      "What is left differs mostly in the top bands."),
               ),
            _q("Why run a classical eGeMAPS baseline before tuning a deep model?",
               _wrong("Classical models are always better on small data sets.",
                      "Not always; the point is to measure, on the same folds and clips, which is "
                      "better here."),
               _right("A deep model is worth its cost only if it beats it.",
                      "It is the field's standard comparison: 88 functionals chosen by voice "
                      "scientists, standardised per speaker, scikit-learn's defaults, nothing "
                      "tuned. A fair bar on the same unseen speakers."),
               _wrong("The baseline needs no training data, so it costs nothing.",
                      "It is trained too, a logistic regression or an SVM on the training actors "
                      "of every fold."),
               ),
        ),
    ),
    "10_your_own_voice": Unit(
        objectives=(
            "explain why a model trained on 20 studio actors often reads a new voice as one "
            "emotion;",
            "explain how `predict --same-speaker` adapts to a voice without labels, and why the "
            "clips must span the speaker's emotions;",
            "explain why a set of calm clips alone is misread once adapted to;",
            "read a top probability as a verdict or a guess, and say what a threshold chosen on "
            "actors' voices cannot promise;",
            "follow a long recording window by window, and say why the hop between windows "
            "matters.",
        ),
        questions=(
            _q("On your own voice the model calls nearly every clip \"sad\". What is the likeliest "
               "reason?",
               _wrong("You sounded sad in every take, whatever you meant.",
                      "You meant eight different emotions; the same answer for all of them points "
                      "at the voice, not at the takes."),
               _right("Your voice and microphone differ from the actors' average.",
                      "The model reads that difference as an emotion: a voice lower or softer "
                      "than the actors' pulls every clip towards calm, neutral or sad. Adapting to "
                      "your voice is the remedy."),
               _wrong("The model is broken and answers sad to everything.",
                      "It names RAVDESS actors' emotions well; what it lacks is your voice in "
                      "its training data."),
               ),
            _q("How does `predict --same-speaker` adapt to your voice?",
               _right("It standardises your clips with their own mean and spread.",
                      "Every mel band is measured over all your clips, as each training actor's "
                      "clips were. Only the fact that the clips are one person's is used, which "
                      "is why it needs several of them (at least four)."),
               _wrong("It fine-tunes the network on your clips and intended emotions.",
                      "Nothing is trained and no label is used."),
               _wrong("It uses the statistics of the training actor closest to you.",
                      "Your own statistics are used, taken from your own clips."),
               ),
            _q("You adapt to twelve calm and neutral clips alone. What happens?",
               _wrong("They are named calm or neutral even more reliably than alone.",
                      "It goes the other way: alone they are read as calm or neutral, adapted "
                      "most are not."),
               _wrong("Nothing changes: adaptation only corrects the loudness.",
                      "It rescales every mel band, not only the level, and that is what shifts "
                      "the predictions."),
               _right("Small differences between calm takes are read as emotions.",
                      "Their average is calm, so each clip is measured against calm and the small "
                      "differences are stretched into a whole emotional range. Adaptation "
                      "assumes the clips span the speaker's emotions."),
               ),
            _q("The model answers \"sad\" with a top probability of 30%. How do you read it?",
               _right("As a guess: the best of eight, but not a verdict.",
                      "Below the threshold the model's answers were more often wrong than right; "
                      "`predict` prints \"uncertain, perhaps sad\" rather than \"sad\"."),
               _wrong("As a verdict: 30% is well above chance, which is 1/8.",
                      "Above chance is not reliable: below the threshold the model was wrong more "
                      "often than right on unseen actors."),
               _wrong("As a share: the clip is 30% sad and 70% other emotions.",
                      "The probabilities say how sure the model is of one label, not how much of "
                      "each emotion the clip holds."),
               ),
            _q("A synthetic voice is called \"angry\" with a very high top probability for all "
               "eight of its clips. What does that tell you?",
               _wrong("The synthetic voice really does sound angry.",
                      "Its eight clips were made with eight different settings; the same answer "
                      "for all points at the model."),
               _wrong("The answers can be trusted, being far above the threshold.",
                      "The threshold was measured on actors' voices: it promises nothing for a "
                      "voice unlike every training voice."),
               _right("Confidence on an unfamiliar voice is a symptom, not a verdict.",
                      "Adapted to as one speaker, the same clips spread over several emotions and "
                      "all fall below the threshold."),
               ),
        ),
    ),
}


def _unit(stem: str) -> Unit:
    if stem not in BANK:
        raise ValueError(f"{stem}: no objectives or quiz in bcser_utils/quizzes.py's BANK")
    return BANK[stem]


def _inline(text: str) -> str:
    """Text for inside an HTML block, where Markdown is not read: escaped, `code` as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def objectives_markdown(stem: str) -> str:
    """The objectives cell of one notebook, as Markdown.

    Parameters
    ----------
    stem : str
        The notebook's name without ``.ipynb``, e.g. ``"02_bc_filter_design"``.

    Returns
    -------
    str
        ``> **You will be able to**`` and one ``> - …`` line per objective.
    """
    return "\n".join([OBJECTIVES_HEADING, *(f"> - {o}" for o in _unit(stem).objectives)])


def quiz_markdown(stem: str) -> str:
    """The quiz cell of one notebook, as Markdown with one ``<details>`` block per option.

    Parameters
    ----------
    stem : str
        The notebook's name without ``.ipynb``, e.g. ``"02_bc_filter_design"``.

    Returns
    -------
    str
        ``## Quiz``, a line on how to use it, then each question as a bold ``**Q1.** …`` line
        followed by its options; an option opens to ✅ or ❌ and its explanation.
    """
    parts = [QUIZ_HEADING, "", QUIZ_INTRO]
    for number, question in enumerate(_unit(stem).questions, 1):
        parts += ["", f"**Q{number}.** {html.escape(question.text, quote=False)}", ""]
        for letter, option in zip("ABCD"[:len(question.options)], question.options, strict=True):
            verdict = "✅ Right." if option.right else "❌ Not quite."
            parts.append(f'<details class="quiz-option"><summary>{letter}. '
                         f"{_inline(option.text)}</summary>{verdict} {_inline(option.why)}"
                         "</details>")
    return "\n".join(parts)


def _first_line(cell: dict) -> str:
    source = "".join(cell.get("source", ""))
    return source.splitlines()[0] if source else ""


def _markdown_cell(heading: str, text: str, old: dict | None) -> dict:
    # an existing cell keeps its id and metadata; only its text is ours
    cell = dict(old) if old else {"cell_type": "markdown", "id": CELL_IDS[heading], "metadata": {}}
    cell["source"] = text.splitlines(keepends=True)
    return cell


def with_quiz(nb: dict, stem: str) -> dict:
    """``nb`` (a notebook's JSON) with its objectives and quiz cells as the bank renders them.

    The objectives go right after the first Markdown cell (the title), the quiz just before the
    cell that opens the exercises (``## Exercises`` or ``### Exercise …`` as its first line), or
    at the end where no cell does. Our cells are recognised by their first lines and moved or
    updated; no other cell changes.

    Parameters
    ----------
    nb : dict
        The notebook, as ``json.load`` reads it (not changed).
    stem : str
        The notebook's name without ``.ipynb``.

    Returns
    -------
    dict
        A new notebook dict.
    """
    texts = {OBJECTIVES_HEADING: objectives_markdown(stem), QUIZ_HEADING: quiz_markdown(stem)}
    ours = {h: None for h in texts}
    cells = []
    for cell in nb["cells"]:
        heading = _first_line(cell) if cell["cell_type"] == "markdown" else None
        if heading in ours and ours[heading] is None:
            ours[heading] = cell
        elif heading not in ours:
            cells.append(cell)
        # a second copy of one of our cells is dropped
    titles = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown"]
    if not titles:
        raise ValueError(f"{stem}: the notebook has no Markdown title cell")
    cells.insert(titles[0] + 1, _markdown_cell(OBJECTIVES_HEADING, texts[OBJECTIVES_HEADING],
                                               ours[OBJECTIVES_HEADING]))
    exercises = next((i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
                      and any(_EXERCISES.match(line)
                              for line in "".join(c["source"]).splitlines())), None)
    # a heading in the middle of a cell of prose: the quiz cannot go between, so it goes last
    if exercises is None or not _EXERCISES.match(_first_line(cells[exercises])):
        exercises = len(cells)
    cells.insert(exercises, _markdown_cell(QUIZ_HEADING, texts[QUIZ_HEADING], ours[QUIZ_HEADING]))
    return {**nb, "cells": cells}


def notebook_text(nb: dict) -> str:
    """A notebook's JSON in the committed format (one-space indent, UTF-8 kept).

    Parameters
    ----------
    nb : dict
        The notebook, as ``json.load`` reads it.

    Returns
    -------
    str
        The text of the file, ending in a newline.
    """
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _course_notebooks(folder: Path) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def _locked(lock: str | Path | None):
    if not lock:
        return contextlib.nullcontext()
    from filelock import FileLock  # only when editors share the notebooks

    return FileLock(str(lock))


def update(folder: Path = NOTEBOOKS, write: bool = False, lock: str | Path | None = None
           ) -> list[Path]:
    """The course notebooks whose objectives or quiz differ from the bank; rewritten if asked.

    Parameters
    ----------
    folder : Path
        The folder of the notebooks ``NN_*.ipynb``.
    write : bool
        Write the bank's cells into those notebooks (only those; nothing else is written).
    lock : str or Path, optional
        A lock file to hold while reading and writing, when other editors work on the same
        notebooks (``filelock``); none by default.

    Returns
    -------
    list of Path
        The notebooks that were out of date (and, with ``write``, are no longer).
    """
    stale = []
    with _locked(lock):
        for path in _course_notebooks(folder):
            text = path.read_text(encoding="utf-8")
            try:
                nb = json.loads(text)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}: not a notebook (invalid JSON: {err.msg}, line "
                                 f"{err.lineno})") from None
            new = notebook_text(with_quiz(nb, path.stem))
            if new != text:
                stale.append(path)
                if write:
                    files.write_text(path, new)
    return stale


def main(argv: list[str] | None = None) -> int:
    """``python -m bcser_utils.quizzes [--write]``: check (or write) every notebook's cells.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (``sys.argv[1:]`` by default).

    Returns
    -------
    int
        0 when every notebook holds the bank's cells (after ``--write``, once written), 1 if
        not, 2 on an error (said in one line).
    """
    parser = argparse.ArgumentParser(prog="python -m bcser_utils.quizzes",
                                     description="Each notebook's objectives and quiz, from the "
                                                 "bank in bcser_utils/quizzes.py.")
    parser.add_argument("--write", action="store_true",
                        help="insert or update the two cells in each notebook (nothing else)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS,
                        help="the folder of the notebooks NN_*.ipynb (default: %(default)s)")
    parser.add_argument("--lock", help="a lock file to hold while editing (shared notebooks)")
    args = parser.parse_args(argv)
    try:
        stale = update(args.notebooks, write=args.write, lock=args.lock)
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in stale:
        print(f"{'updated' if args.write else 'out of date'}: {path}")
    if not stale:
        print(f"every notebook in {args.notebooks} holds the bank's objectives and quiz")
    return 0 if args.write or not stale else 1


if __name__ == "__main__":
    sys.exit(main())
