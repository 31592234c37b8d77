/**
 * leakproof doctor as a library: who holds connections on a MariaDB/MySQL or PostgreSQL
 * server now, its limits and idle timeouts, and warnings in plain words.
 *
 * @example
 * import { runDoctor } from 'leakproof/doctor';
 * const report = await runDoctor({ db: process.env.DATABASE_URL!, processes: 4, budget: 20 });
 * for (const warning of report.warnings) console.warn(warning.message);
 *
 * @module
 */
export { runDoctor, DOCTOR_DEFAULTS } from './run-doctor.js';
export type {
  DoctorOptions,
  DoctorReport,
  DoctorWarning,
  DoctorWarningCode,
  SessionGroup,
  ServerSettings,
  DatabaseProduct,
  PoolerPool,
} from './doctor-report.js';
