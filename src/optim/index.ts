export { ADAMW_DEFAULTS, AdamW, defaultParamGroups, type AdamWOptions, type ParamGroup } from './adamw.ts';
export { ConstantSchedule, LinearWarmupDecay, type LinearWarmupDecayOptions, type Schedule } from './schedule.ts';
export { LossScaler, type LossScaleOptions } from './loss-scale.ts';
