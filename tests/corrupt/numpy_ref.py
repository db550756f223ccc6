"""numpy_ref.py - parts of make_cifar_c.py that need numpy only, as
published, fed the random draws the C code used, to check common/corrupt/.

usage: numpy_ref.py plasma DRAWS.bin MAP.bin SIDE DECAY
         DRAWS: float64 uniforms in [0,1) in the order the C code drew them;
         MAP: the C map (float64, SIDE x SIDE)
       numpy_ref.py glass IN.bin OUT.bin DRAWS.bin H W C
         IN/OUT: uint8 HWC image before / after C glass_blur severity 1
         (sigma .05: a radius-0 Gaussian, i.e. no blur); DRAWS: int64 values
         of randint(-1, 1) in the order the C code drew them
Exit 0 when they agree."""
import sys

import numpy as np

pos = [0]
draws = None


def randint(lo, hi, size):
    n = int(np.prod(size))
    v = draws[pos[0]:pos[0] + n]
    pos[0] += n
    assert ((v >= lo) & (v < hi)).all()
    return v.reshape(size)


def uniform(lo, hi, shape):
    n = int(np.prod(shape))
    u = draws[pos[0]:pos[0] + n]
    pos[0] += n
    return (lo + (hi - lo) * u).reshape(shape)


def plasma_fractal(mapsize=32, wibbledecay=3):
    # verbatim from make_cifar_c.py, np.random.uniform -> uniform
    assert (mapsize & (mapsize - 1) == 0)
    maparray = np.empty((mapsize, mapsize), dtype=np.float64)  # np.float_ then
    maparray[0, 0] = 0
    stepsize = mapsize
    wibble = 100

    def wibbledmean(array):
        return array / 4 + wibble * uniform(-wibble, wibble, array.shape)

    def fillsquares():
        cornerref = maparray[0:mapsize:stepsize, 0:mapsize:stepsize]
        squareaccum = cornerref + np.roll(cornerref, shift=-1, axis=0)
        squareaccum += np.roll(squareaccum, shift=-1, axis=1)
        maparray[stepsize // 2:mapsize:stepsize,
                 stepsize // 2:mapsize:stepsize] = wibbledmean(squareaccum)

    def filldiamonds():
        mapsize = maparray.shape[0]
        drgrid = maparray[stepsize // 2:mapsize:stepsize, stepsize // 2:mapsize:stepsize]
        ulgrid = maparray[0:mapsize:stepsize, 0:mapsize:stepsize]
        ldrsum = drgrid + np.roll(drgrid, 1, axis=0)
        lulsum = ulgrid + np.roll(ulgrid, -1, axis=1)
        ltsum = ldrsum + lulsum
        maparray[0:mapsize:stepsize, stepsize // 2:mapsize:stepsize] = wibbledmean(ltsum)
        tdrsum = drgrid + np.roll(drgrid, 1, axis=1)
        tulsum = ulgrid + np.roll(ulgrid, -1, axis=0)
        ttsum = tdrsum + tulsum
        maparray[stepsize // 2:mapsize:stepsize, 0:mapsize:stepsize] = wibbledmean(ttsum)

    while stepsize >= 2:
        fillsquares()
        filldiamonds()
        stepsize //= 2
        wibble /= wibbledecay

    maparray -= maparray.min()
    return maparray / maparray.max()


def glass_blur_s1(x):
    # make_cifar_c.py glass_blur with c = (0.05, 1, 1); gaussian(sigma=.05)
    # has radius int(4 * .05 + .5) = 0: the identity, written as such here
    c = (0.05, 1, 1)
    x = np.uint8((np.array(x) / 255.) * 255)
    for i in range(c[2]):
        for h in range(x.shape[0] - c[1], c[1], -1):
            for w in range(x.shape[1] - c[1], c[1], -1):
                dx, dy = randint(-c[1], c[1], size=(2,))
                h_prime, w_prime = h + dy, w + dx
                # swap (as published: numpy views make it a copy)
                x[h, w], x[h_prime, w_prime] = x[h_prime, w_prime], x[h, w]
    return np.uint8(np.clip(x / 255., 0, 1) * 255)


if sys.argv[1] == "plasma":
    draws = np.fromfile(sys.argv[2], dtype=np.float64)
    cmap = np.fromfile(sys.argv[3], dtype=np.float64)
    side, decay = int(sys.argv[4]), float(sys.argv[5])
    ref = plasma_fractal(side, decay).ravel()
    err = np.abs(ref - cmap).max()
    print("plasma: max |numpy - C| = %.3g, draws used %d of %d" % (err, pos[0], len(draws)))
    sys.exit(0 if err < 1e-9 and pos[0] == len(draws) else 1)
if sys.argv[1] == "glass":
    h, w, c = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    img = np.fromfile(sys.argv[2], dtype=np.uint8).reshape(h, w, c)
    cout = np.fromfile(sys.argv[3], dtype=np.uint8).reshape(h, w, c)
    draws = np.fromfile(sys.argv[4], dtype=np.int64)
    ref = glass_blur_s1(img)
    bad = int((ref != cout).sum())
    print("glass_blur s1: %d of %d bytes differ, draws used %d of %d" % (bad, ref.size, pos[0], len(draws)))
    sys.exit(0 if bad == 0 and pos[0] == len(draws) else 1)
sys.exit(2)
