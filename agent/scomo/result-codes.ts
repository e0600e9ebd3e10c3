// SCOMO result codes carried in the OperationComplete Generic Alert (<ResultCode>). 1200 success,
// 14xx client errors, 15xx download-server errors. Values as in the SCOMO TS result-code table, as peers
// carry it (Redbend vDM vdm_scomo_types.h, MediaTek MdmScomo; see ../shared/docs/omadm-reference.md §7).
export const ScomoResult = {
  Success: 1200,
  ClientError: 1400,
  UserCancelled: 1401,
  DownloadFailed: 1402,
  AltDownloadAuthFailed: 1403,
  /** Download failed, out of memory (SCOMO §8.7): also a package larger than maxPackageBytes. */
  DownloadOutOfMemory: 1404,
  InstallFailed: 1405,
  InstallOutOfMemory: 1406,
  PackageValidationFailed: 1407,
  RemoveFailed: 1408,
  ActivateFailed: 1409,
  DeactivateFailed: 1410,
  NotImplemented: 1411,
  UndefinedError: 1412,
  UnsupportedEnvironment: 1413,
  DownloadServerError: 1500,
  AltDownloadServerUnavailable: 1501,
} as const;

export type ScomoResultCode = (typeof ScomoResult)[keyof typeof ScomoResult];

/** Download/<x>/Status, Deployed/<x>/Status values (SCOMO MO). */
export const DownloadStatus = {
  Idle: '10',
  DownloadFailed: '20',
  Downloading: '30',
  Downloaded: '40',
  Installing: '50',
  InstallFailedWithData: '60',
  InstallFailed: '70',
} as const;
export const DeployedStatus = {
  Idle: '10',
  RemoveFailed: '20',
  Removing: '30',
  ActivateFailed: '40',
  Activating: '50',
  DeactivateFailed: '60',
  Deactivating: '70',
} as const;
