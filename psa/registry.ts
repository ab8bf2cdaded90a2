import type { AdapterFactory } from './core/factory';
import type { PsaKind } from './core/types';
import { autotaskFactory } from './autotask';
import { connectwiseFactory } from './connectwise';
import { halopsaFactory } from './halopsa';

/** PsaKind → the vendor's adapter factory. */
export const adapterFactories: Record<PsaKind, AdapterFactory<any>> = {
  connectwise: connectwiseFactory,
  autotask: autotaskFactory,
  halopsa: halopsaFactory,
};
