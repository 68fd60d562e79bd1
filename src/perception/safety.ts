/**
 * Text that tries to steer the agent instead of asking it for something.
 * The `user_intent` fact carries no confidence, so a guessed `/delete` would
 * reach the kernel as firmly as a real one: suspicious text becomes an
 * `/unknown` intent instead, and is never sent on to the refiner, which an
 * injection aimed at a model could fool as well.
 */

type Rule = { readonly reason: string; readonly pattern: RegExp };

const INJECTION_RULES: readonly Rule[] = [
  {
    reason: 'asks to ignore earlier instructions',
    pattern:
      /\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|every|the|your|my|of|these|those|previous|prior|above|earlier|preceding|original|system|safety|existing|current)\s+){0,4}(?:instructions?|prompts?|directives?|guidelines|guardrails|rules|policies|restrictions)\b/i,
  },
  {
    reason: 'asks to forget the conversation',
    pattern:
      /\bforget\s+(?:everything|all)\s+(?:above|before|previous(?:ly)?|you(?:'ve| have)? been told)\b/i,
  },
  {
    reason: 'tries to change the assistant role',
    pattern:
      /\b(?:you are now|from now on you are|pretend (?:to be|you are)|act as an? (?:unrestricted|unfiltered|jailbroken|evil)|jailbreak|developer mode|dan mode|do anything now)\b/i,
  },
  {
    reason: 'asks to reveal hidden instructions',
    pattern:
      /\b(?:reveal|print|show|output|repeat|leak|dump)\s+(?:me\s+)?(?:your|the)\s+(?:system prompt|hidden instructions|initial instructions|instructions)\b/i,
  },
  {
    reason: 'contains chat role markers',
    pattern:
      /<\|im_(?:start|end)\|>|<\/?(?:system|assistant)>|\[(?:system|inst)\]|^(?:system|assistant)\s*:/im,
  },
  {
    reason: 'contains a destructive shell command',
    pattern:
      /\brm\s+(?:-{1,2}[a-z-]+\s+)*(?:\/|~|\*|\$home|\.{1,2})\/?\*?(?=\s|$|[;&|])|\bmkfs\b|\bdd\s+if=|:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;?\s*:|\bchmod\s+(?:-\w+\s+)*777\s+\/(?=\s|$)|\b(?:curl|wget)\b[^|\n]{0,200}\|\s*(?:sudo\s+)?(?:ba|z)?sh\b|>\s*\/dev\/(?:sd|nvme|hd)|\bformat\s+c:/i,
  },
];

/** Why `text` looks like an injection attempt, or null when it does not. */
export function injectionReason(text: string): string | null {
  for (const rule of INJECTION_RULES) {
    if (rule.pattern.test(text)) return rule.reason;
  }
  return null;
}

const SWEEPING =
  /\b(?:everything|every file|all files|all the files|all of (?:it|them)|entire|whole (?:repo|repository|project|codebase|disk|drive|directory|folder|system)|the (?:repo|repository|codebase|project|database|disk)|home directory|root directory)\b/i;

const SWEEPING_TARGETS = new Set(['/', '/*', '~', '~/', '*', '.', './', '..', '../', '**', '**/*']);

/** True when a request reaches further than one thing ("delete everything", target `/`). */
export function isSweeping(text: string, target: string): boolean {
  return SWEEPING.test(text) || SWEEPING_TARGETS.has(target);
}
