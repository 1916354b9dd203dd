import type { KeyObject } from 'node:crypto';
import { recordContent } from './audit-chain.js';
import { keyIdOf, signatureValid, type Checkpoint } from './audit-checkpoints.js';
import type { ConsistencyProof, InclusionProof } from './audit-proofs.js';
import { leafHash, verifyConsistency, verifyInclusion } from './merkle-tree.js';

/** What is wrong with a proof as an auditor checks it, following docs/audit.md step by step. */
export function checkProof(proof: Partial<InclusionProof & ConsistencyProof>, key: KeyObject): string[] {
  const problems: string[] = [];
  const checkpointOk = (checkpoint: Checkpoint | undefined, size: number | undefined, root: string | undefined, name: string) => {
    if (checkpoint === undefined) return problems.push(`the proof has no ${name}`);
    if (checkpoint.keyId !== keyIdOf(key)) problems.push(`the ${name} is signed by key ${checkpoint.keyId}, not by the key given (${keyIdOf(key)})`);
    else if (!signatureValid(checkpoint, key)) problems.push(`the ${name}'s signature does not verify`);
    if (!checkpoint.body.includes(`\nsize ${size}\nroot ${root}\n`)) problems.push(`the ${name}'s signed text does not name size ${size} and root ${root}`);
    return 0;
  };
  const isHash = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
  const isSize = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
  if (![proof.root, proof.oldRoot, proof.newRoot, proof.leafHash].every((value) => value === undefined || isHash(value)) || !(proof.path ?? []).every(isHash)) return ['the proof\'s hashes are not 64 lowercase hex digits each'];
  if (![proof.leafIndex, proof.treeSize, proof.oldSize, proof.newSize, proof.seq].every((value) => value === undefined || isSize(value))) return ['the proof\'s sizes and indexes are not whole numbers'];
  if (proof.seq !== undefined && proof.leafIndex !== proof.seq - 1) problems.push(`leafIndex ${proof.leafIndex} is not record ${proof.seq}'s (seq − 1)`);
  const hex = (values: readonly string[] | undefined) => (values ?? []).map((value) => Buffer.from(value, 'hex'));
  if (proof.record !== undefined && proof.leafIndex !== undefined && proof.treeSize !== undefined) {
    checkpointOk(proof.checkpoint, proof.treeSize, proof.root, 'checkpoint');
    const leaf = leafHash(recordContent(proof.record));
    if (leaf.toString('hex') !== proof.leafHash) problems.push('the record does not hash to the proof\'s leaf hash');
    if (!verifyInclusion(leaf, proof.leafIndex, proof.treeSize, hex(proof.path), Buffer.from(proof.root ?? '', 'hex'))) problems.push('the audit path does not lead from the record to the signed root');
  } else if (proof.oldSize !== undefined && proof.newSize !== undefined) {
    checkpointOk(proof.oldCheckpoint, proof.oldSize, proof.oldRoot, 'old checkpoint');
    checkpointOk(proof.newCheckpoint, proof.newSize, proof.newRoot, 'new checkpoint');
    if (!verifyConsistency(proof.oldSize, proof.newSize, hex(proof.path), Buffer.from(proof.oldRoot ?? '', 'hex'), Buffer.from(proof.newRoot ?? '', 'hex'))) problems.push('the proof does not show the old tree is a prefix of the new one');
  } else problems.push('this is neither an inclusion proof nor a consistency proof');
  return problems;
}
