import { imageRepository, namesImageId } from './private-images';

describe('imageRepository', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox'],
    ['busybox:1.36', 'docker.io/library/busybox'],
    ['me/app:v1', 'docker.io/me/app'],
    ['docker.io/me/app', 'docker.io/me/app'],
    ['index.docker.io/me/app:v1', 'docker.io/me/app'],
    ['Registry.Example.org:5000/Team/app:v1', 'registry.example.org:5000/Team/app'],
    ['127.0.0.1:5000/app@sha256:abcd', '127.0.0.1:5000/app'],
    ['127.0.0.1:5000/app:v1@sha256:abcd', '127.0.0.1:5000/app'],
    ['localhost/app', 'localhost/app'],
    ['[::1]:5000/app:v1', '[::1]:5000/app'],
  ])('%s → %s', (image, repository) => {
    expect(imageRepository(image)).toBe(repository);
  });
});

describe('namesImageId', () => {
  it('tells an id from a name', () => {
    expect(namesImageId('sha256:0123abcd')).toBe(true);
    expect(namesImageId('0123456789abcdef')).toBe(true);
    expect(namesImageId('busybox')).toBe(false);
    expect(namesImageId('deadbeef')).toBe(false);
    expect(namesImageId('127.0.0.1:5000/0123456789abcdef')).toBe(false);
  });
});
