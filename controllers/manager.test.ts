// Choosing controllers with kube-controller-manager's --controllers syntax.
import { describe, expect, it } from 'vitest';
import { selectControllers } from './manager.ts';

const known = ['deployment', 'replicaset', 'namespace'];

describe('the --controllers list', () => {
  it.each([
    [['*'], known],
    [['*', '-namespace'], ['deployment', 'replicaset']],
    [['deployment'], ['deployment']],
    [['-deployment'], []],
  ])('%j selects %j', (wanted, want) => {
    expect(selectControllers(wanted, known)).toEqual(want);
  });

  it('rejects a name it does not know', () => {
    expect(() => selectControllers(['nope'], known)).toThrow('"nope" is not in the list of known controllers');
  });
});
