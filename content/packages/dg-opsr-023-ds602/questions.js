/* DS602 knowledge check: questions, answers and explanations (hand-written learning material, Thai first,
   English alongside). Everything after "=" is strict JSON; quiz.js renders it, tests read it. */
window.SAMATTHA_QUIZ = {
  "packageId": "dg-opsr-023-ds602",
  "activityId": "https://samattha.dev/content/dg-opsr-023/ds602",
  "unit": {
    "code": "DG-OPSR-023",
    "id": "https://samattha.dev/content/dg-opsr-023",
    "title": {
      "th-TH": "ปรับปรุงงานบริการดิจิทัลเพื่อยกระดับอย่างต่อเนื่อง",
      "en-US": "Improve digital services continuously"
    }
  },
  "element": {
    "code": "DS602",
    "title": {
      "th-TH": "จัดทำข้อเสนอแนะเพื่อปรับปรุงบริการ",
      "en-US": "Make recommendations to improve the service"
    }
  },
  "criteria": [
    "DS602.01",
    "DS602.02"
  ],
  "passMark": 0.8,
  "title": {
    "th-TH": "แบบทดสอบความรู้ DS602: จัดทำข้อเสนอแนะเพื่อปรับปรุงบริการ",
    "en-US": "Knowledge check DS602: Make recommendations to improve the service"
  },
  "description": {
    "th-TH": "แบบทดสอบความรู้ 5 ข้อ ตามเกณฑ์การปฏิบัติงาน DS602.01–DS602.02 ของหน่วยสมรรถนะ DG-OPSR-023 เกณฑ์ผ่าน: ตอบถูกอย่างน้อยร้อยละ 80 (4 จาก 5 ข้อ)",
    "en-US": "A 5-question knowledge check on performance criteria DS602.01–DS602.02 of unit DG-OPSR-023. Pass mark: at least 80% correct (4 of 5)."
  },
  "questions": [
    {
      "id": "q1",
      "type": "choice",
      "criteria": [
        "DS602.01"
      ],
      "topic": {
        "th-TH": "การรับฟังอย่างตั้งใจ",
        "en-US": "Active listening"
      },
      "text": {
        "th-TH": "ผู้ใช้แจ้งว่าระบบนัดหมายออนไลน์ “ใช้ยากมาก” การตอบสนองใดแสดงถึงการรับฟังอย่างตั้งใจ (active listening) ได้ดีที่สุด",
        "en-US": "A user says the online booking system is “very hard to use”. Which response best shows active listening?"
      },
      "choices": [
        {
          "id": "a",
          "text": {
            "th-TH": "ชี้แจงทันทีว่าระบบผ่านการทดสอบแล้ว จึงไม่น่าจะมีปัญหา",
            "en-US": "Explain straight away that the system passed its tests, so it is unlikely to have problems"
          }
        },
        {
          "id": "b",
          "text": {
            "th-TH": "ถามต่อว่าติดขัดที่ขั้นตอนใด ทวนความเข้าใจกับผู้ใช้ แล้วบันทึกประเด็นไว้",
            "en-US": "Ask which step caused trouble, confirm your understanding with the user, and record the issue"
          }
        },
        {
          "id": "c",
          "text": {
            "th-TH": "แนะนำให้ผู้ใช้มาติดต่อที่สำนักงานแทน",
            "en-US": "Suggest that the user come to the office instead"
          }
        },
        {
          "id": "d",
          "text": {
            "th-TH": "กล่าวขอบคุณแล้วปิดเรื่องทันที",
            "en-US": "Thank the user and close the case at once"
          }
        }
      ],
      "correct": "b",
      "explanation": {
        "th-TH": "การรับฟังอย่างตั้งใจคือการถามคำถามปลายเปิดเพื่อให้ได้รายละเอียด ทวนสิ่งที่ได้ยินเพื่อยืนยันความเข้าใจ และบันทึกไว้โดยไม่ตัดสินหรือแก้ตัว ข้อเสนอแนะที่ได้จึงเจาะจงพอที่จะนำไปปรับปรุงได้จริง",
        "en-US": "Active listening means asking open questions to get the details, reflecting back what you heard to confirm you understood, and recording it without judging or defending. The feedback you get is then specific enough to act on."
      }
    },
    {
      "id": "q2",
      "type": "true-false",
      "criteria": [
        "DS602.01"
      ],
      "topic": {
        "th-TH": "การรวบรวมและจัดกลุ่มข้อเสนอแนะ",
        "en-US": "Collecting and grouping suggestions"
      },
      "text": {
        "th-TH": "ข้อเสนอแนะที่ได้รับจากหลายช่องทาง เช่น แบบสอบถาม อีเมล ศูนย์บริการทางโทรศัพท์ และสื่อสังคมออนไลน์ ควรรวบรวมไว้ในที่เดียวและจัดกลุ่มตามประเด็น ก่อนจัดลำดับความสำคัญ",
        "en-US": "Suggestions received through many channels, such as surveys, email, the call centre and social media, should be gathered in one place and grouped by theme before they are prioritised."
      },
      "correct": "true",
      "explanation": {
        "th-TH": "ข้อความนี้เป็นจริง การรวบรวมไว้ในที่เดียวทำให้เห็นว่าประเด็นใดถูกพูดถึงซ้ำและบ่อยเพียงใด ลดการตอบเรื่องเดียวกันซ้ำในหลายช่องทาง และช่วยจัดลำดับความสำคัญจากหลักฐาน ไม่ใช่จากเสียงที่ดังที่สุด",
        "en-US": "True. One place shows which issues recur and how often, avoids answering the same issue again on different channels, and lets you prioritise by evidence rather than by the loudest voice."
      }
    },
    {
      "id": "q3",
      "type": "choice",
      "criteria": [
        "DS602.02"
      ],
      "topic": {
        "th-TH": "การชี้แจงสาเหตุ ผลกระทบ และประโยชน์",
        "en-US": "Explaining causes, impact and benefits"
      },
      "text": {
        "th-TH": "เมื่อชี้แจงการปรับปรุงบริการให้ผู้ใช้ทราบ ควรมีเนื้อหาใดบ้าง",
        "en-US": "When you explain a service improvement to users, what should the explanation contain?"
      },
      "choices": [
        {
          "id": "a",
          "text": {
            "th-TH": "รายละเอียดทางเทคนิคของระบบ เช่น รุ่นของฐานข้อมูลและภาษาโปรแกรมที่ใช้",
            "en-US": "Technical details, such as the database version and the programming language"
          }
        },
        {
          "id": "b",
          "text": {
            "th-TH": "ชื่อเจ้าหน้าที่ที่ทำให้เกิดปัญหา",
            "en-US": "The names of the staff who caused the problem"
          }
        },
        {
          "id": "c",
          "text": {
            "th-TH": "เฉพาะวันที่จะเริ่มใช้ระบบใหม่",
            "en-US": "Only the date the new system goes live"
          }
        },
        {
          "id": "d",
          "text": {
            "th-TH": "สาเหตุของปัญหา ผลกระทบต่อผู้ใช้ สิ่งที่จะเปลี่ยนแปลง และประโยชน์ที่ผู้ใช้จะได้รับ",
            "en-US": "The cause of the problem, its impact on users, what will change, and the benefits users will get"
          }
        }
      ],
      "correct": "d",
      "explanation": {
        "th-TH": "เกณฑ์ DS602.02 กำหนดให้ชี้แจงสาเหตุ ผลกระทบ และประโยชน์ที่ผู้ใช้จะได้รับ เมื่อผู้ใช้เข้าใจว่าทำไมต้องเปลี่ยนและจะได้อะไร ก็จะยอมรับการเปลี่ยนแปลงได้ง่ายขึ้น ส่วนรายละเอียดทางเทคนิคหรือการระบุตัวบุคคลไม่ช่วยผู้ใช้ และอาจสร้างความขัดแย้ง",
        "en-US": "Criterion DS602.02 asks you to explain the causes, the impact and the benefits to users. Users who understand why something changes and what they gain accept the change more easily. Technical details or naming individuals do not help users and can create conflict."
      }
    },
    {
      "id": "q4",
      "type": "choice",
      "criteria": [
        "DS602.02"
      ],
      "topic": {
        "th-TH": "การจัดการการสื่อสาร",
        "en-US": "Communication management"
      },
      "text": {
        "th-TH": "หน่วยงานจะปิดระบบชำระค่าธรรมเนียมออนไลน์ 1 วัน เพื่อปรับให้การชำระเงินลดจาก 5 ขั้นตอนเหลือ 2 ขั้นตอน การสื่อสารแบบใดเหมาะสมที่สุด",
        "en-US": "An agency will take its online fee-payment system offline for one day to cut payment from five steps to two. Which communication is most suitable?"
      },
      "choices": [
        {
          "id": "a",
          "text": {
            "th-TH": "แจ้งล่วงหน้าผ่านหลายช่องทาง ระบุวันและเวลาที่ปิด เหตุผล ช่องทางชำระเงินสำรอง และประโยชน์ที่จะได้รับ",
            "en-US": "Announce it in advance on several channels, stating when it will be offline, why, another way to pay, and the benefit"
          }
        },
        {
          "id": "b",
          "text": {
            "th-TH": "ปิดระบบโดยไม่ต้องแจ้ง เพราะใช้เวลาเพียงวันเดียว",
            "en-US": "Take it offline without notice, since it is only for one day"
          }
        },
        {
          "id": "c",
          "text": {
            "th-TH": "แจ้งเฉพาะบนเว็บไซต์ภายในของหน่วยงาน",
            "en-US": "Announce it only on the agency's intranet"
          }
        },
        {
          "id": "d",
          "text": {
            "th-TH": "แจ้งหลังจากปรับปรุงเสร็จแล้วเท่านั้น",
            "en-US": "Announce it only after the work is finished"
          }
        }
      ],
      "correct": "a",
      "explanation": {
        "th-TH": "การจัดการการสื่อสารที่ดีคือการแจ้งล่วงหน้าผ่านช่องทางที่ผู้ใช้เข้าถึงได้จริง บอกผลกระทบ (ช่วงเวลาที่ใช้บริการไม่ได้) พร้อมทางเลือกระหว่างนั้น และบอกประโยชน์ (ชำระเงินได้ง่ายขึ้น) ผู้ใช้จึงวางแผนได้และเห็นคุณค่าของการเปลี่ยนแปลง",
        "en-US": "Good communication management means telling users in advance, on channels they actually use, what the impact is (when the service is unavailable) with an alternative meanwhile, and what the benefit is (easier payment), so users can plan and see the value of the change."
      }
    },
    {
      "id": "q5",
      "type": "choice",
      "criteria": [
        "DS602.02"
      ],
      "topic": {
        "th-TH": "ข้อเสนอแนะที่วัดผลได้",
        "en-US": "Measurable recommendations"
      },
      "text": {
        "th-TH": "ข้อเสนอแนะเพื่อปรับปรุงบริการข้อใดชัดเจนและวัดผลได้มากที่สุด",
        "en-US": "Which recommendation for improving the service is the clearest and most measurable?"
      },
      "choices": [
        {
          "id": "a",
          "text": {
            "th-TH": "ปรับปรุงระบบให้ดีขึ้นและทันสมัยขึ้น",
            "en-US": "Make the system better and more modern"
          }
        },
        {
          "id": "b",
          "text": {
            "th-TH": "ทำให้ผู้ใช้พึงพอใจมากที่สุดเท่าที่จะเป็นไปได้",
            "en-US": "Make users as satisfied as possible"
          }
        },
        {
          "id": "c",
          "text": {
            "th-TH": "ลดเวลาพิจารณาคำขอจากเฉลี่ย 7 วันทำการ เหลือไม่เกิน 3 วันทำการภายในไตรมาสหน้า โดยติดตามผลจากข้อมูลในระบบ",
            "en-US": "Cut application review time from an average of 7 working days to at most 3 by next quarter, tracked with data from the system"
          }
        },
        {
          "id": "d",
          "text": {
            "th-TH": "เพิ่มจำนวนเจ้าหน้าที่ให้มากที่สุด",
            "en-US": "Hire as many staff as possible"
          }
        }
      ],
      "correct": "c",
      "explanation": {
        "th-TH": "ข้อเสนอแนะที่ดีระบุตัวชี้วัด ค่าปัจจุบัน ค่าเป้าหมาย กรอบเวลา และแหล่งข้อมูลที่ใช้ติดตามผล จึงตรวจสอบได้ว่าการปรับปรุงได้ผลหรือไม่ และนำไปกำหนดเป็นระดับการให้บริการ (SLA) ได้ ส่วนตัวเลือกอื่นไม่มีค่าใดที่วัดได้",
        "en-US": "A good recommendation names the indicator, its current value, the target, the time frame and the data source used to follow it up, so you can check whether the improvement worked and turn it into a service level (SLA). The other options contain nothing measurable."
      }
    }
  ]
};
