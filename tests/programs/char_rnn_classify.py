"""PyTorch's "NLP From Scratch: Classifying Names with a Character-Level RNN", in
miniature: names turned to ASCII with unicodedata, one-hot letters (letterToTensor,
lineToTensor's `torch.zeros(len(line), 1, n_letters)` filled by
`tensor[li][0][letterToIndex(letter)] = 1`), the tutorial's hand-written RNN module
(nn.Linear on torch.cat((input, hidden), 1), nn.LogSoftmax(dim=1)), nn.NLLLoss, the
update `p.data.add_(p.grad.data, alpha=-learning_rate)`, categoryFromOutput with
`output.topk(1)` and `top_i[0].item()`, training examples drawn by a seeded
random.randint, a confusion matrix (`confusion[category_i][guess_i] += 1`, rows
normalised by `confusion[i] = confusion[i] / confusion[i].sum()`) and predict() under
torch.no_grad(). Then the tutorial's current version: a torch.utils.data.Dataset of
(label_tensor, text_tensor, label, text), a CharRNN on nn.RNN (`output =
self.h2o(hidden[0])`), minibatches from random.shuffle and np.array_split whose losses
are summed from 0 (`batch_loss += loss`), SGD with momentum and
nn.utils.clip_grad_norm_, and the confusion matrix under rnn.eval() and torch.no_grad()
(`if denom > 0`). A few made-up names per category stand in for the data files. Run with
--iters N.

Runs on PyTorch, and unchanged on tinygrad_nn with `python -m tinygrad_nn run`.
"""

# ruff: noqa: RUF059, B007  (the tutorial's unpackings and loop names)

import argparse
import random
import string
import unicodedata

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import Dataset

torch.set_default_dtype(torch.float64)

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)


# Turn a Unicode string to plain ASCII, thanks to https://stackoverflow.com/a/518232/2809427
def unicodeToAscii(s):
    return "".join(
        c
        for c in unicodedata.normalize("NFD", s)
        if unicodedata.category(c) != "Mn" and c in all_letters
    )


# Build the category_lines dictionary, a list of names per language
category_lines = {
    "Italian": ["Rossi", "Bianchi", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti"],
    "Japanese": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Nakamura"],
    "Polish": ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński"],
    "Scottish": ["Smith", "Brown", "Wilson", "Campbell", "Stewart", "Thomson", "MacLeod"],
}
category_lines = {k: [unicodeToAscii(line) for line in v] for k, v in category_lines.items()}
all_categories = list(category_lines)
n_categories = len(all_categories)


# Find letter index from all_letters, e.g. "a" = 0
def letterToIndex(letter):
    return all_letters.find(letter)


# Just for demonstration, turn a letter into a <1 x n_letters> Tensor
def letterToTensor(letter):
    tensor = torch.zeros(1, n_letters)
    tensor[0][letterToIndex(letter)] = 1
    return tensor


# Turn a line into a <line_length x 1 x n_letters>,
# or an array of one-hot letter vectors
def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()  # noqa: UP008  (the tutorial's spelling)

        self.hidden_size = hidden_size

        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.h2o(hidden)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


def categoryFromOutput(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


def randomChoice(lst):
    return lst[random.randint(0, len(lst) - 1)]


def randomTrainingExample():
    category = randomChoice(all_categories)
    line = randomChoice(category_lines[category])
    category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
    line_tensor = lineToTensor(line)
    return category, line, category_tensor, line_tensor


n_hidden = 32
rnn = None  # made in main(), after seeding
criterion = nn.NLLLoss()
learning_rate = 0.05  # If you set this too high, it might explode. If too low, it might not learn


def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()

    rnn.zero_grad()

    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)

    loss = criterion(output, category_tensor)
    loss.backward()

    # Add parameters' gradients to their values, multiplied by learning rate
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)

    return output, loss.item()


# Just return an output given a line
def evaluate(line_tensor):
    hidden = rnn.initHidden()

    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)

    return output


def predict(input_line, n_predictions=2):
    print(f"\n> {input_line}")
    with torch.no_grad():
        output = evaluate(lineToTensor(input_line))

        # Get top N categories
        topv, topi = output.topk(n_predictions, 1, True)
        predictions = []

        for i in range(n_predictions):
            value = topv[0][i].item()
            category_index = topi[0][i].item()
            print(f"({value:.2f}) {all_categories[category_index]}")
            predictions.append([value, category_index])
    return predictions


# ------------------------------------------------ the tutorial's current version: nn.RNN


class NamesDataset(Dataset):
    """The names as (label_tensor, text_tensor, label, text), as the tutorial's dataset."""

    def __init__(self, category_lines):
        self.data, self.data_tensors, self.labels, self.labels_tensors = [], [], [], []
        labels_set = set()  # the set of all classes
        for label, lines in category_lines.items():
            labels_set.add(label)
            for name in lines:
                self.data.append(name)
                self.data_tensors.append(lineToTensor(name))
                self.labels.append(label)

        # Cache the tensor representation of the labels
        self.labels_uniq = sorted(labels_set)
        for idx in range(len(self.labels)):
            temp_tensor = torch.tensor([self.labels_uniq.index(self.labels[idx])], dtype=torch.long)
            self.labels_tensors.append(temp_tensor)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, idx):
        data_item = self.data[idx]
        data_label = self.labels[idx]
        data_tensor = self.data_tensors[idx]
        label_tensor = self.labels_tensors[idx]
        return label_tensor, data_tensor, data_label, data_item


class CharRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(CharRNN, self).__init__()  # noqa: UP008

        self.rnn = nn.RNN(input_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, line_tensor):
        rnn_out, hidden = self.rnn(line_tensor)
        output = self.h2o(hidden[0])
        output = self.softmax(output)

        return output


def label_from_output(output, output_labels):
    top_n, top_i = output.topk(1)
    label_i = top_i[0].item()
    return output_labels[label_i], label_i


def train_batches(rnn, training_data, n_epoch=6, n_batch_size=8, learning_rate=0.2):
    """Learn on a batch of training_data for a specified number of iterations."""
    current_loss = 0
    all_losses = []
    rnn.train()
    optimizer = torch.optim.SGD(rnn.parameters(), lr=learning_rate, momentum=0.5)
    criterion = nn.NLLLoss()

    for iter in range(1, n_epoch + 1):
        rnn.zero_grad()  # clear the gradients

        # create some minibatches; we cannot use dataloaders because each name is a
        # different length
        batches = list(range(len(training_data)))
        random.shuffle(batches)
        batches = np.array_split(batches, len(batches) // n_batch_size)

        for idx, batch in enumerate(batches):
            batch_loss = 0
            for i in batch:  # for each example in this batch
                (label_tensor, text_tensor, label, text) = training_data[i]
                output = rnn.forward(text_tensor)
                loss = criterion(output, label_tensor)
                batch_loss += loss

            # optimize parameters
            batch_loss.backward()
            nn.utils.clip_grad_norm_(rnn.parameters(), 3)
            optimizer.step()
            optimizer.zero_grad()

            current_loss += batch_loss.item() / len(batch)

        all_losses.append(current_loss / len(batches))
        print(f"{iter} ({iter / n_epoch:.0%}): \t average batch loss = {all_losses[-1]}")
        current_loss = 0

    return all_losses, batch_loss


def evaluate_confusion(rnn, testing_data, classes):
    confusion = torch.zeros(len(classes), len(classes))

    rnn.eval()  # set to eval mode
    with torch.no_grad():  # do not record the gradients during eval phase
        for i in range(len(testing_data)):
            (label_tensor, text_tensor, label, text) = testing_data[i]
            output = rnn(text_tensor)
            guess, guess_i = label_from_output(output, classes)
            label_i = classes.index(label)
            confusion[label_i][guess_i] += 1

    # Normalize by dividing every row by its sum
    for i in range(len(classes)):
        denom = confusion[i].sum()
        if denom > 0:
            confusion[i] = confusion[i] / denom
    return confusion


def main(n_iters=400, print_every=100, n_confusion=100):
    global rnn
    random.seed(0)
    torch.manual_seed(0)
    assert letterToTensor("J").argmax().item() == letterToIndex("J") == 35
    assert lineToTensor("Jones").size() == torch.Size([5, 1, n_letters])
    rnn = RNN(n_letters, n_hidden, n_categories)

    current_loss, all_losses = 0, []
    for iter in range(1, n_iters + 1):
        category, line, category_tensor, line_tensor = randomTrainingExample()
        output, loss = train(category_tensor, line_tensor)
        current_loss += loss

        # Print iter number, loss, name and guess
        if iter % print_every == 0:
            guess, guess_i = categoryFromOutput(output)
            correct = "✓" if guess == category else f"✗ ({category})"
            print(f"{iter} {iter / n_iters * 100:.0f}% {loss:.4f} {line} / {guess} {correct}")
            all_losses.append(current_loss / print_every)
            current_loss = 0
    grads = {name: p.grad.numpy().copy() for name, p in rnn.named_parameters()}

    # Keep track of correct guesses in a confusion matrix
    confusion = torch.zeros(n_categories, n_categories)

    # Go through a bunch of examples and record which are correctly guessed
    for i in range(n_confusion):
        category, line, category_tensor, line_tensor = randomTrainingExample()
        output = evaluate(line_tensor)
        guess, guess_i = categoryFromOutput(output)
        category_i = all_categories.index(category)
        confusion[category_i][guess_i] += 1
    assert confusion.sum().item() == n_confusion

    # Normalize by dividing every row by its sum
    for i in range(n_categories):
        confusion[i] = confusion[i] / confusion[i].sum()
    print("confusion (rows: the category, columns: the guess):")
    print(confusion)

    predictions = predict("Dovesky") + predict("Satoshi") + predict("Jackson")

    alldata = NamesDataset(category_lines)
    print(f"loaded {len(alldata)} items of data; the first: {alldata[0][2:]}")
    char_rnn = CharRNN(n_letters, n_hidden, len(alldata.labels_uniq))
    batch_losses, batch_loss = train_batches(char_rnn, alldata)
    # (zero_grad() after each step sets the gradients to None: the weights are compared)
    weights = {name: p.detach().numpy().copy() for name, p in char_rnn.named_parameters()}
    char_confusion = evaluate_confusion(char_rnn, alldata, alldata.labels_uniq)
    print(char_confusion)
    return {
        "loss": loss,
        "grads": grads,
        "batch_losses": batch_losses,
        **{f"char_rnn.{name}": w for name, w in weights.items()},
        "batch_loss": batch_loss.item(),
        "char_confusion": char_confusion.numpy().copy(),
        "all_losses": all_losses,
        "confusion": confusion.numpy().copy(),
        "predictions": predictions,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=400)
    print(f"final loss: {main(parser.parse_args().iters)['loss']:.15g}")
