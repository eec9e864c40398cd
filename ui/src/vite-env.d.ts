/// <reference types="vite/client" />

interface Window {
  /** Present when the page runs inside Tauri. */
  __TAURI_INTERNALS__?: unknown;
}
