import { expect } from 'vitest';
import { evalCondition, type Attributes, type ConditionInterface, type SavedGroups } from '../../src/conditions';
import { describeCases } from './cases';

describeCases<[string, ConditionInterface, Attributes, boolean, SavedGroups?]>(
  'evalCondition',
  (_name, condition, attributes, expected, savedGroups) => {
    expect(evalCondition(attributes, condition, savedGroups ?? {})).toBe(expected);
  },
);
