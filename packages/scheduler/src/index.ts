export * from './types';
export * from './scheduler';
export * from './reservation-ledger';
