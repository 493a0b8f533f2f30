import express, { type RequestHandler, type Router } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loopcdsError } from '../errors/error-catalogue.js';

/**
 * The console's own Content-Security-Policy: everything from this origin, nothing inline, nothing from
 * anywhere else (the console works with no external network: issue 8), and never framed (clickjacking).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Security headers on every console response (OWASP Secure Headers). */
export const consoleSecurityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  next();
};

/**
 * Serves the built console (vite output: index.html and content-hashed files under assets/). Hashed files
 * are cached for a year; index.html never, so a new build is picked up at once. Every other path under
 * /console that is not the API is a page of the single-page app and gets index.html.
 */
export function consoleAssets(dir: string): Router {
  const router = express.Router();
  const index = path.join(dir, 'index.html');
  router.use(
    '/assets',
    express.static(path.join(dir, 'assets'), {
      index: false,
      immutable: true,
      maxAge: 365 * 24 * 60 * 60 * 1000, // 1 year: file names change with their content
      fallthrough: false,
    }),
  );
  router.use(express.static(dir, { index: false, maxAge: 0 }));
  router.get(/^(?!\/api(\/|$)).*/, (_req, res) => {
    if (!existsSync(index)) throw loopcdsError('LOOPCDS_ERR_CONSOLE_NOT_BUILT', `no ${index}`);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
