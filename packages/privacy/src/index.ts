export {
  auditStreamId,
  CASE_RECORD_READ,
  type CaseRecordRead,
  CaseRecordReadSchema,
} from './audit';
export {
  decryptField,
  type EncryptedField,
  encryptField,
  FIELD_SCHEME,
  isEncryptedField,
} from './field-crypto';
export {
  type ClientId,
  type DataKey,
  KeyVault,
  type KeyVaultOptions,
  type RotationResult,
  rotateMasterKey,
} from './key-vault';
export {
  generateMasterKey,
  loadOrCreateMasterKeyFile,
  MASTER_KEY_ENV,
  MASTER_KEY_FILE,
  parseMasterKey,
} from './master-key';
export {
  clientOfCase,
  ERASED,
  encryptionContext,
  encryptPersonalData,
  hasEncryptedPersonalData,
  hasPlainPersonalData,
  PERSONAL_FIELDS,
  revealPersonalData,
  UNREADABLE,
  WITHHELD,
} from './personal-fields';
export { type CommandIo, NEW_MASTER_KEY_ENV, runRotateMasterKey } from './rotate-master-key.command';
