/**
 * The model's prompt text for an item: the question, then the options as "A:red B:blue"
 * (compact, to stay within the 48-token prompt). Not tokenised here: the tokenizer lives in
 * libs/policy.
 */
import { choiceLetter, type PromptItem } from './problem.js';

export const formatChoices = (choices: readonly string[]): string => choices.map((c, i) => `${choiceLetter(i)}:${c}`).join(' ');

export const problemPrompt = (item: Pick<PromptItem, 'question' | 'choices'>): string =>
  item.choices === undefined || item.choices.length === 0 ? item.question : `${item.question} ${formatChoices(item.choices)}`;
