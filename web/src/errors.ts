// Every error the API can answer with, and every reason a generation can fail, in German for a
// person, with what they can do about it. No screen shows a code or the server's English text.

import { ApiError, BAD_RESPONSE, NETWORK } from './api/client';
import { ABORTED } from './api/upload';
import { config } from './config';
import { formatBytes, formatNumber } from './format';

export interface Action {
  label: string;
  /** A route in the app, or `reload` for the page itself. */
  href: string;
}

export interface Problem {
  message: string;
  action?: Action;
}

const TO_SETTINGS: Action = { label: 'Zu den Einstellungen', href: '/einstellungen' };
const RELOAD: Action = { label: 'Seite neu laden', href: 'reload' };

/** Where an error happened, when the same code means different things. */
export type Context =
  | 'sign-in'
  | 'register'
  | 'collection-name'
  | 'upload'
  | 'generate'
  | 'cancel'
  | 'retry'
  | 'api-key'
  | 'general';

export function describeError(err: unknown, context: Context = 'general'): Problem {
  if (!(err instanceof ApiError)) {
    return { message: 'Etwas ist schiefgegangen. Bitte versuchen Sie es noch einmal.' };
  }
  switch (err.code) {
    case NETWORK:
      return {
        message:
          'Der Server ist gerade nicht erreichbar. Bitte prüfen Sie Ihre Verbindung und versuchen Sie es gleich noch einmal.',
      };
    case ABORTED:
      return { message: 'Abgebrochen.' };
    case 'UNAUTHENTICATED':
      if (context === 'sign-in') return { message: 'E-Mail-Adresse oder Passwort ist falsch.' };
      return {
        message: 'Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.',
        action: { label: 'Anmelden', href: '/anmelden' },
      };
    case 'NOT_FOUND':
      return {
        message:
          context === 'upload'
            ? 'Die Sammlung gibt es nicht mehr – vielleicht wurde sie in einem anderen Fenster gelöscht.'
            : 'Das gibt es nicht (mehr) – vielleicht wurde es inzwischen gelöscht.',
        action: { label: 'Zu den Sammlungen', href: '/sammlungen' },
      };
    case 'BAD_USER_INPUT':
      return badInput(err, context);
    case 'CONFLICT':
      return conflict(context);
    case 'RATE_LIMITED': {
      const seconds = err.retryAfter ?? 60;
      const wait =
        seconds >= 120
          ? `${formatNumber(Math.ceil(seconds / 60))} Minuten`
          : `${formatNumber(seconds)} Sekunden`;
      return { message: `Zu viele Versuche. Bitte warten Sie ${wait} und versuchen Sie es dann erneut.` };
    }
    case 'PAYLOAD_TOO_LARGE':
      return {
        message:
          config.uploadLimit !== null
            ? `Die Datei ist zu groß: erlaubt sind höchstens ${formatBytes(config.uploadLimit)}.`
            : 'Die Datei ist zu groß.',
      };
    case 'GEMINI_API_KEY_MISSING':
      return {
        message:
          'Für Ihr Konto ist noch kein Gemini-API-Schlüssel hinterlegt. Ohne ihn kann Gemini keinen Prompt schreiben.',
        action: { label: 'Schlüssel hinterlegen', href: '/einstellungen' },
      };
    case 'GRAPHQL_PARSE_FAILED':
    case 'GRAPHQL_VALIDATION_FAILED':
    case 'PERSISTED_QUERY_NOT_FOUND':
    case 'PERSISTED_QUERY_NOT_IN_LIST':
    case BAD_RESPONSE:
      return {
        message:
          'Diese Version der App passt nicht zum Server (vermutlich wurde er gerade aktualisiert). Bitte laden Sie die Seite neu.',
        action: RELOAD,
      };
    case 'SERVICE_UNAVAILABLE':
      return { message: 'Der Server ist gerade ausgelastet. Bitte versuchen Sie es in ein paar Sekunden noch einmal.' };
    default:
      return {
        message:
          'Auf dem Server ist ein Fehler aufgetreten. Bitte versuchen Sie es später noch einmal.',
      };
  }
}

function badInput(err: ApiError, context: Context): Problem {
  switch (err.field) {
    case 'email':
      return { message: 'Bitte geben Sie eine gültige E-Mail-Adresse ein, etwa name@beispiel.de.' };
    case 'password':
      return { message: 'Das Passwort muss mindestens 10 Zeichen lang sein (höchstens 1024).' };
    case 'name':
      return { message: 'Der Name muss 1 bis 100 Zeichen lang sein.' };
    case 'notes':
      return { message: 'Die Hinweise dürfen höchstens 500 Zeichen lang sein.' };
    case 'apiKey':
      return { message: 'Der Schlüssel muss 1 bis 256 Zeichen lang sein.' };
    case 'file':
      return uploadRefusal(err);
    default:
      if (context === 'sign-in' || context === 'register') {
        return { message: 'Bitte prüfen Sie Ihre Eingaben.' };
      }
      return {
        message: 'Die Eingabe wurde nicht angenommen. Bitte laden Sie die Seite neu und versuchen Sie es erneut.',
        action: RELOAD,
      };
  }
}

/** Why the server refused an uploaded file (`extensions.reason`). */
function uploadRefusal(err: ApiError): Problem {
  switch (err.reason) {
    case 'UNSUPPORTED_TYPE':
      return { message: 'Dieses Dateiformat wird nicht unterstützt. Erlaubt sind PNG, JPEG, WebP und HEIC.' };
    case 'INCOMPLETE':
      return { message: 'Die Datei ist unvollständig (sie endet zu früh). Bitte laden Sie sie noch einmal hoch.' };
    case 'DAMAGED':
      return { message: 'Die Bilddatei ist beschädigt und kann nicht gelesen werden.' };
    case 'TOO_MANY_PIXELS':
      return {
        message:
          config.maxImagePixels !== null
            ? `Das Bild hat zu viele Pixel: erlaubt sind höchstens ${formatNumber(config.maxImagePixels / 1e6)} Megapixel.`
            : 'Das Bild hat zu viele Pixel.',
      };
    default:
      return { message: 'Diese Datei wurde nicht angenommen: sie ist kein Bild in einem erlaubten Format (PNG, JPEG, WebP, HEIC).' };
  }
}

function conflict(context: Context): Problem {
  switch (context) {
    case 'register':
      return {
        message: 'Mit dieser E-Mail-Adresse gibt es schon ein Konto.',
        action: { label: 'Stattdessen anmelden', href: '/anmelden' },
      };
    case 'cancel':
      return { message: 'Diese Anfrage ist schon beendet und kann nicht mehr abgebrochen werden.' };
    case 'retry':
      return { message: 'Nur fehlgeschlagene oder abgebrochene Anfragen können erneut versucht werden.' };
    case 'generate':
      return { message: 'Diese Anfrage wurde gerade schon gestellt. Bitte laden Sie die Seite neu.', action: RELOAD };
    default:
      return { message: 'Das passt nicht zum aktuellen Stand. Bitte laden Sie die Seite neu.', action: RELOAD };
  }
}

/** Why a generation failed (`VideoPrompt.errorCode`). */
export function describeFailure(code: string | null): Problem {
  switch (code) {
    case 'GEMINI_AUTH':
      return {
        message:
          'Google Gemini hat Ihren API-Schlüssel abgelehnt. Prüfen Sie, ob er vollständig und noch gültig ist, und hinterlegen Sie ihn gegebenenfalls neu.',
        action: TO_SETTINGS,
      };
    case 'GEMINI_API_KEY_MISSING':
      return {
        message: 'Es war kein Gemini-API-Schlüssel mehr hinterlegt, als die Anfrage an der Reihe war.',
        action: TO_SETTINGS,
      };
    case 'GEMINI_QUOTA':
      return {
        message:
          'Das Kontingent Ihres Gemini-Schlüssels ist im Moment aufgebraucht (zu viele Anfragen). Bitte versuchen Sie es später erneut.',
      };
    case 'GEMINI_UNAVAILABLE':
      return { message: 'Google Gemini war nicht erreichbar oder überlastet. Bitte versuchen Sie es später erneut.' };
    case 'GEMINI_BLOCKED':
      return {
        message:
          'Gemini hat die Anfrage aus Sicherheitsgründen blockiert: Bild oder Hinweise könnten gegen die Richtlinien von Google verstoßen. Versuchen Sie es mit anderen Hinweisen oder einem anderen Bild.',
      };
    case 'GEMINI_BAD_OUTPUT':
      return { message: 'Gemini hat keine brauchbare Antwort geliefert. Ein neuer Versuch gelingt meistens.' };
    case 'GEMINI_FILE_PROCESSING':
      return { message: 'Gemini konnte das Bild nicht verarbeiten. Bitte versuchen Sie es erneut oder mit einem anderen Bild.' };
    case 'TIMEOUT':
      return { message: 'Gemini hat nicht rechtzeitig geantwortet. Bitte versuchen Sie es erneut.' };
    default:
      return { message: 'Auf dem Server ist ein Fehler aufgetreten. Bitte versuchen Sie es erneut.' };
  }
}

/** A temporary failure while a record waits for its next try (PENDING with an errorCode). */
export function describeRetryWait(code: string | null): string {
  switch (code) {
    case 'GEMINI_QUOTA':
      return 'Gemini meldet zu viele Anfragen – der nächste Versuch folgt gleich von selbst.';
    case 'TIMEOUT':
      return 'Gemini hat nicht rechtzeitig geantwortet – der nächste Versuch folgt gleich von selbst.';
    default:
      return 'Gemini war kurz nicht erreichbar – der nächste Versuch folgt gleich von selbst.';
  }
}
