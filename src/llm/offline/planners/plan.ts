/** One step for the persona the brief names. */
import type { PlanContext, Step } from '../context.js';
import { planCoding } from './coder.js';
import { planResearch } from './researcher.js';
import { planReview } from './reviewer.js';
import { planTests } from './tester.js';

export function planStep(ctx: PlanContext): Step {
  switch (ctx.brief.persona) {
    case '/reviewer':
      return planReview(ctx);
    case '/tester':
      return planTests(ctx);
    case '/researcher':
      return planResearch(ctx);
    case '/coder':
      return planCoding(ctx);
  }
}
