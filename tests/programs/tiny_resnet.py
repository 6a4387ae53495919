# ruff: noqa: B007  (the authors' idioms, kept)
"""A tiny ResNet written out the way torchvision's resnet.py writes one: BasicBlock with
conv3x3 (nn.Conv2d(bias=False)), nn.BatchNorm2d and nn.ReLU(inplace=True), a downsample
nn.Sequential shortcut and `out += identity`, nn.AdaptiveAvgPool2d((1, 1)) and
torch.flatten(x, 1), kaiming_normal_(mode="fan_out", nonlinearity="relu"); trained as the
ImageNet example trains one (SGD with momentum, nesterov and weight_decay, a
CosineAnnealingLR, model.train()/model.eval(), top-1 and top-2 accuracy with
`output.topk(maxk, 1, True, True)`), on random 8x8 "images". Run with --epochs N.

Runs on PyTorch, and unchanged on tinygrad_nn with `python -m tinygrad_nn run`.
"""

import argparse

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.set_default_dtype(torch.float64)


def conv3x3(in_planes, out_planes, stride=1):
    """3x3 convolution with padding"""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    """1x1 convolution"""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x

        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)

        out = self.conv2(out)
        out = self.bn2(out)

        if self.downsample is not None:
            identity = self.downsample(x)

        out += identity
        out = self.relu(out)

        return out


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=4, width=8):
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, width * 2, layers[1], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 2 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )

        layers = []
        layers.append(block(self.inplanes, planes, stride, downsample))
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))

        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)

        x = self.layer1(x)
        x = self.layer2(x)

        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.fc(x)

        return x


def accuracy(output, target, topk=(1,)):
    """Computes the accuracy over the k top predictions for the specified values of k"""
    with torch.no_grad():
        maxk = max(topk)
        batch_size = target.size(0)

        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))

        res = []
        for k in topk:
            correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
            res.append(correct_k.mul_(100.0 / batch_size))
        return res


def random_images(n):
    """3x8x8 noise with a brighter quadrant; the label is the quadrant."""
    target = torch.randint(0, 4, (n,))
    images = torch.randn(n, 3, 8, 8)
    for i in range(n):
        r, c = divmod(int(target[i]), 2)
        images[i, :, 4 * r : 4 * r + 4, 4 * c : 4 * c + 4] += 1.0
    return images, target


def main(epochs=2):
    torch.manual_seed(0)
    images, target = random_images(48)
    train_loader = DataLoader(TensorDataset(images[:32], target[:32]), batch_size=8, shuffle=True)
    val_loader = DataLoader(TensorDataset(images[32:], target[32:]), batch_size=8)

    model = ResNet(BasicBlock, [1, 1])
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(
        model.parameters(), 0.1, momentum=0.9, nesterov=True, weight_decay=1e-4
    )
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)

    lrs, top1s = [], []
    for epoch in range(epochs):
        model.train()
        for i, (images_, target_) in enumerate(train_loader):
            output = model(images_)
            loss = criterion(output, target_)
            acc1, acc2 = accuracy(output, target_, topk=(1, 2))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])

        model.eval()
        correct1 = correct2 = 0.0
        with torch.no_grad():
            for images_, target_ in val_loader:
                output = model(images_)
                acc1, acc2 = accuracy(output, target_, topk=(1, 2))
                correct1 += acc1[0].item() * images_.size(0) / 100
                correct2 += acc2[0].item() * images_.size(0) / 100
        top1s.append(correct1)
        print(
            f"Epoch {epoch}: loss {loss.item():.4f} * Acc@1 {correct1 / 16 * 100:.3f} "
            f"Acc@2 {correct2 / 16 * 100:.3f}"
        )

    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    return {
        "loss": loss.item(),
        "lrs": lrs,
        "top1": top1s,
        "running_mean": model.layer2[0].bn2.running_mean.numpy().copy(),
        "grads": grads,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    print(f"final loss: {main(parser.parse_args().epochs)['loss']:.15g}")
