// The CNN curvature task's images under Node: Fashion-MNIST's training set, downsampled and cached by
// fashion-mnist.ts. Kept apart from curvature-cnn.ts, which must not reach the file system.
import { DataError } from '../targets/errors.js';
import { imagePool, type ImagePool } from './curvature-cnn.js';
import { loadFashionMnist } from './fashion-mnist.js';

/** Fashion-MNIST's training images downsampled to size×size, as a pool (an ImageSource). */
export function fashionMnistPool(size: number): ImagePool {
  if (!Number.isInteger(size) || size < 1 || size > 28) {
    throw new DataError('data/image-size', `the curvature images are Fashion-MNIST's 28×28 downsampled, not ${size}×${size}`,
      'use a cnn target with height = width of at most 28');
  }
  const { train, classes } = loadFashionMnist(size).data;
  return imagePool(train.images, train.labels, size * size, classes);
}

