import { describe, expect, it } from 'vitest';
import { dataClassesOfShape, sensitivityOf } from './field-name-classes.js';

describe('dataClassesOfShape', () => {
  it('finds pii in contact fields', () => {
    expect(dataClassesOfShape('email,id,name')).toEqual(['pii']);
    expect(dataClassesOfShape('first_name,lastName,phone')).toEqual(['pii']);
    expect(dataClassesOfShape('date_of_birth,street,postcode')).toEqual(['pii']);
  });

  it('finds credentials, financial and health data', () => {
    expect(dataClassesOfShape('api_key,id')).toEqual(['credentials']);
    expect(dataClassesOfShape('client_secret')).toEqual(['credentials']);
    expect(dataClassesOfShape('iban,balance')).toEqual(['financial']);
    expect(dataClassesOfShape('diagnosis,patient_id')).toEqual(['health']);
  });

  it('reads the keys of an array shape', () => {
    expect(dataClassesOfShape('[email,id]')).toEqual(['pii']);
  });

  it('returns every class found, sorted', () => {
    expect(dataClassesOfShape('password,ssn,salary,allergies')).toEqual(['credentials', 'financial', 'health', 'pii']);
  });

  it('finds nothing in plain fields or an empty shape', () => {
    expect(dataClassesOfShape('id,name,created_at,status')).toEqual([]);
    expect(dataClassesOfShape('')).toEqual([]);
    expect(dataClassesOfShape('[]')).toEqual([]);
  });

  it('classifies a passport number as pii, not as a credential', () => {
    expect(dataClassesOfShape('passport_number')).toEqual(['pii']);
  });

  it('does not take fields that merely contain "pass" for credentials', () => {
    expect(dataClassesOfShape('passengers,compass_heading,bypass_cache')).toEqual([]);
  });
});

describe('sensitivityOf', () => {
  it('makes credentials, health and financial data restricted', () => {
    expect(sensitivityOf(['credentials'])).toBe('restricted');
    expect(sensitivityOf(['health'])).toBe('restricted');
    expect(sensitivityOf(['pii', 'financial'])).toBe('restricted');
  });

  it('makes pii confidential', () => {
    expect(sensitivityOf(['pii'])).toBe('confidential');
  });

  it('says nothing without a sensitive class', () => {
    expect(sensitivityOf([])).toBeUndefined();
    expect(sensitivityOf(['public-records'])).toBeUndefined();
  });
});
