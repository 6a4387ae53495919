# ruff: noqa: UP008, UP031  (the authors' idioms, kept)
"""PyTorch's DCGAN example's training loop, in miniature, on a 2-D toy distribution (eight
Gaussians on a ring): a generator and a discriminator as nn.Sequential with
nn.LeakyReLU(0.2, inplace=True) and nn.BatchNorm1d, weights_init applied with
model.apply, nn.BCELoss against torch.full((b,), real_label, dtype=torch.float) labels
refilled with label.fill_, two Adam optimizers with betas=(0.5, 0.999), fake.detach() for
the discriminator's step, D(x) and D(G(z)) read with .mean().item(), and the losses printed
the way the example prints them. Written for PyTorch's float32 default, as the example is
(tinygrad_nn computes it in its float64, the labels in float32). Run with --epochs N.

Runs on PyTorch, and unchanged on tinygrad_nn with `python -m tinygrad_nn run`.
"""

import argparse
import math

import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

nz = 2  # size of the latent vector
ngf = 16  # width of the generator
ndf = 16  # width of the discriminator
real_label = 1.0
fake_label = 0.0


def weights_init(m):
    """custom weights initialization called on netG and netD"""
    classname = m.__class__.__name__
    if classname.find("Linear") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.main = nn.Sequential(
            nn.Linear(nz, ngf, bias=False),
            nn.BatchNorm1d(ngf),
            nn.ReLU(True),
            nn.Linear(ngf, ngf, bias=False),
            nn.BatchNorm1d(ngf),
            nn.ReLU(True),
            nn.Linear(ngf, 2),
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        self.main = nn.Sequential(
            nn.Linear(2, ndf),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(ndf, ndf, bias=False),
            nn.BatchNorm1d(ndf),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(ndf, 1),
            nn.Sigmoid(),
        )

    def forward(self, input):
        return self.main(input)


def ring_of_gaussians(n):
    """n points drawn from eight Gaussians (std 0.05) on a circle of radius 2."""
    angles = torch.tensor([2 * math.pi * k / 8 for k in range(8)])
    centers = torch.stack([torch.cos(angles), torch.sin(angles)], dim=1) * 2
    which = torch.randint(0, 8, (n,))
    return centers[which] + 0.05 * torch.randn(n, 2)


def main(num_epochs=3):
    torch.manual_seed(999)
    device = torch.device("cpu")
    dataloader = DataLoader(TensorDataset(ring_of_gaussians(256)), batch_size=64, shuffle=True)

    netG = Generator().to(device)
    netG.apply(weights_init)
    netD = Discriminator().to(device)
    netD.apply(weights_init)

    criterion = nn.BCELoss()
    fixed_noise = torch.randn(64, nz, device=device)
    optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))

    G_losses, D_losses, D_xs = [], [], []
    print("Starting Training Loop...")
    for epoch in range(num_epochs):
        for i, data in enumerate(dataloader, 0):
            ############################
            # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
            ###########################
            ## Train with all-real batch
            netD.zero_grad()
            real_cpu = data[0].to(device)
            b_size = real_cpu.size(0)
            label = torch.full((b_size,), real_label, dtype=torch.float, device=device)
            output = netD(real_cpu).view(-1)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()

            ## Train with all-fake batch
            noise = torch.randn(b_size, nz, device=device)
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach()).view(-1)
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            optimizerD.step()

            ############################
            # (2) Update G network: maximize log(D(G(z)))
            ###########################
            netG.zero_grad()
            label.fill_(real_label)  # fake labels are real for generator cost
            output = netD(fake).view(-1)
            errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            optimizerG.step()

            print(
                "[%d/%d][%d/%d]\tLoss_D: %.4f\tLoss_G: %.4f\tD(x): %.4f\tD(G(z)): %.4f / %.4f"
                % (
                    epoch,
                    num_epochs,
                    i,
                    len(dataloader),
                    errD.item(),
                    errG.item(),
                    D_x,
                    D_G_z1,
                    D_G_z2,
                )
            )
            G_losses.append(errG.item())
            D_losses.append(errD.item())
            D_xs.append(D_x)

    netG.eval()
    with torch.no_grad():
        fake = netG(fixed_noise).detach().cpu()
    radius = fake.norm(dim=1).mean().item()

    grads = {f"G.{n}": p.grad.numpy().copy() for n, p in netG.named_parameters()}
    grads.update({f"D.{n}": p.grad.numpy().copy() for n, p in netD.named_parameters()})
    return {
        "loss": errG.item(),
        "G_losses": G_losses,
        "D_losses": D_losses,
        "D_x": D_xs,
        "radius": radius,
        "running_var": netD.main[3].running_var.numpy().copy(),
        "grads": grads,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    print(f"final loss: {main(parser.parse_args().epochs)['loss']:.15g}")
