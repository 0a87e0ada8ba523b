// @lodge/client: typed client for lodged (and any LXD 5.0 compatible server).
export { LodgeClient, type ConnectionInfo, type QueryOptions, type QueryResult } from './client.js';
export { Transport, readBody, type TransportOptions, type RawRequest } from './transport.js';
export {
  certificateArgs,
  certificateFingerprint,
  defaultCommonName,
  ensureClientCertificate,
  fetchServerCertificate,
  generateCertificate,
  generatePrivateKey,
  hostPort,
  tlsConnectOptions,
  type CertificatePair,
  type CertificateSpec,
  type RemoteCertificate,
  type TlsOptions,
} from './tls.js';
export { Certificates, certificateBase64, type AddCertificateOptions, type PendingToken, type TokenOptions } from './certificates.js';
export { EventStream, type EventHandler } from './events.js';
export { RemoteOperation } from './operation.js';
export { Images, type ImportImageOptions } from './images.js';
export { Profiles } from './profiles.js';
export { Projects } from './projects.js';
export { ServerApi } from './server.js';
export { StoragePools } from './storage.js';
export { saveImageFile, headerParam, type ImageFileTargets, type ImageFileResult } from './image-file.js';
export { Instances, filterQuery, octalMode, type BackupImportOptions, type InstanceFileInfo, type InstanceFileGet, type InstanceFilePush } from './instances.js';
export { execInstance, consoleInstance, ControlChannel, type SessionIo, type ExecResult, type ConsoleSession, type Input, type Output } from './exec.js';
export * from './simplestreams.js';
export { SimpleStreamsClient, type SimpleStreamsOptions, type SimpleStreamsDownload } from './simplestreams-client.js';
export { LxdImageServer, ProgressText, byteSizeString, downloadVerified, httpsGet, joinUrl, pushImage, type DownloadOptions, type HttpsGetOptions, type PushOptions } from './image-remote.js';
export { instanceSource, instancesPost, instanceMigrationPost, snapshotMigrationPost, type InstancesPostBody } from './go-bodies.js';
export { TransferOperation, followOne, attemptsError, isConnectionError, tryAddresses } from './transfer.js';
export { relayMigration, type MigrationEnd, type MigrationRelay } from './migration-relay.js';
export { copyInstance, copyInstanceSnapshot, isSameServer, operationSecrets, type CopySource, type InstanceCopyArgs } from './instance-copy.js';
